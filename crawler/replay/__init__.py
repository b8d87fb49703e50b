"""Replay: see a collection or a bundle as the browser saw it, on 127.0.0.1 only.

pywb (its own venv) replays ARCHIVE_DIR for the operator; ReplayWeb.page
(npm's static viewer) replays a WACZ bundle, the way legal teams will open it.
"""

import os

# Where `make setup` puts the replay tools, beside the project's own venv.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_WAYBACK = os.path.join(PROJECT_ROOT, ".venv-replay", "bin", "wayback")
DEFAULT_VIEWER_DIR = os.path.join(PROJECT_ROOT, "crawler", "replay", "npm", "node_modules", "replaywebpage")

# Loopback only: a replay server shows whatever the archive holds, to whoever reaches it.
HOST = "127.0.0.1"
