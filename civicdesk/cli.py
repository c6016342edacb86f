"""`civicdesk <command>`: Django management commands with CivicDesk's settings."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicdesk", *sys.argv[1:]])


if __name__ == "__main__":
    main()
