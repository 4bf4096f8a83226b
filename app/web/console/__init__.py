"""/console: the marketers' desk (CONTRACT §8): the queue and its 6-3-1 mix, posts, suggestions."""
