#!/bin/sh
set -eu
NOTES="$HOME/notes"
mkdir -p "$NOTES"
case "$1" in
  add) shift; echo "- $(date '+%Y-%m-%d %H:%M') $*" >> "$NOTES/inbox.md" ;;
  search) shift; grep -rn -- "$*" "$NOTES" || true ;;
esac
