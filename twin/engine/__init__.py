"""The engine: scenario configuration, presets, weather source, simulation and metrics."""
