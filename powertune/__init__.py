"""powertune: find the right memory size for every AWS Lambda function, priced per month."""

__version__ = "0.1.0"
