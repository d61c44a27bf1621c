"""parkops: the composition root. The `parkops` command and the demo that wires edge,
simulators and cloud together live here; the other packages never import each other."""
