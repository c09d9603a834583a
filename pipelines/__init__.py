"""Dagster wiring for capscore: definitions, partitions, resources, jobs, schedules, sensors, CLI."""
