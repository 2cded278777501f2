"""The routine builder (`coach plan`): choose, scale and order exercises from the library into an
ordinary routine script. Pure: no audio, no files."""

from coach.plan.build import Plan, PlanRequest, build, suitable
from coach.plan.writer import script_text

__all__ = ["Plan", "PlanRequest", "build", "script_text", "suitable"]
