"""Graph passes: each is a function Graph -> Graph (or an analysis of a Graph)."""
