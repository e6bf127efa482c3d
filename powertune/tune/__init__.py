"""The tuning pipeline, in the order data travels.

plan -> targets -> search -> tuner -> decide -> build.
"""
