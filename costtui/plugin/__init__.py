"""The Icinga/Nagios `check` plugin: arguments, ranges, evaluation, and its runtime."""
