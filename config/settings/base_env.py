"""The one environment reader every settings module shares."""
import environ

env = environ.Env()
