"""`deltacheck lecture --net FILE`: the lesson for a lecturer's own small network, written in a TOML or JSON file."""
