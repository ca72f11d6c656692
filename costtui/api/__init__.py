"""The read-only REST API served by `costtui serve`."""
