"""What a run shows and writes: progress on the console, result blocks, JUnit XML, drift reports."""
