"""The shared kernel: infrastructure only, no business rules, never imports features."""
