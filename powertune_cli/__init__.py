"""The command-line layer: typer sub-apps wired together by the top-level ``cli`` module.

Only this package (and ``cli.py``) imports typer and rich for user interaction.
"""
