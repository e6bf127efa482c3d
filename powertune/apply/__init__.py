"""Apply a recommendation where the configuration lives: templates (SAM/CloudFormation, Terraform,
serverless.yml, CDK and other code) as minimal text edits, or the live function via the Lambda API.

    targets = targets_from_result(result, force=False)
    plan = plan_templates(targets, [Path("template.yaml")], mapping={"orders": "OrdersFunction"})
    print(plan.diff()); plan.write()

Each format module only *locates* values with a real parser (ruamel.yaml, python-hcl2, a
position-recording JSON reader) and then edits the few bytes of the value, so everything else in
the file stays byte for byte.
"""

from powertune.apply.engine import plan_templates
from powertune.apply.plan import Change, Edit, FilePlan, Plan
from powertune.apply.targets import Target, targets_from_result

__all__ = [
    "Change",
    "Edit",
    "FilePlan",
    "Plan",
    "Target",
    "plan_templates",
    "targets_from_result",
]
