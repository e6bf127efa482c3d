"""What an account holds and did, read from AWS for ``powertune analyze``: the function inventory
(ListFunctions), log groups, REPORT statistics from Logs Insights, and CloudWatch metric totals.
These modules are the only part of ``analyze`` that calls AWS."""
