"""Built-in verifiers: read a video's frames and judge whether the puzzle was solved legally."""
