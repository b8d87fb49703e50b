"""Recording what crossed the wire (warcprox) and what the browser rendered."""
