"""The course's build tools: `export` (solutions → mylib), `strip` (solutions → lessons), `check`."""
