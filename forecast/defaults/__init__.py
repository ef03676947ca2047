"""The defaults shipped with the package: `data/` (curated tables, milestones.yaml, SOURCES.md) and `priors/`.

In a wheel they are package data under this folder; in the source checkout `data` and `priors` here are links to
the repository's own `data/` and `priors/` (pyproject.toml ships their files). Read them through
`forecast.core.workspace.defaults_dirs()`: outside any workspace they are used read-only, and `forecast init`
copies them into a new workspace.
"""
