"""The background worker's entry point: it imports every feature's tasks, and the queue it uses lives beside the
database whatever the current directory is."""

import ast
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(code, cwd, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MARINA_")}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120)


def test_the_worker_registers_every_feature_task_and_the_queue_file_follows_the_database(tmp_path):
    database = tmp_path / "elsewhere" / "portal.sqlite3"
    shown = _run(
        "from marina_portal.worker import huey; "
        "print(huey.storage.filename); print('\\n'.join(sorted(huey._registry._registry)))",
        cwd=tmp_path,
        MARINA_DATABASE=str(database),
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.split()
    assert lines[0] == str(database.parent / "huey.sqlite3")
    tasks = "\n".join(lines[1:])
    for name in (
        "deliver_queued",
        "render_invoice_pdfs",
        "daily_absence_credits",
        "daily_direct_debit_upkeep",
        "send_news_batch",
        "waiting_list_daily",
        "send_insurance_reminders",
    ):
        assert name in tasks
    assert not (tmp_path / "data").exists()  # importing the package creates nothing in the current directory


def test_a_relative_database_is_resolved_from_the_project_not_the_current_directory(tmp_path):
    shown = _run(
        "from marina_portal.core.queue import huey; print(huey.storage.filename)",
        cwd=tmp_path,
        MARINA_DATABASE="data/portal.sqlite3",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == str(ROOT / "data" / "huey.sqlite3")
    assert not (tmp_path / "data").exists()


def test_every_module_that_defines_a_task_is_imported_by_the_worker():
    """A task module the worker forgets is a task never run in production (immediate mode hides it in tests)."""
    package = ROOT / "marina_portal"
    defining = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in package.rglob("*.py")
        if "@huey." in path.read_text()
    }
    tree = ast.parse((package / "worker.py").read_text())
    imported = {
        f"{node.module}.{alias.name}"
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert defining - imported - {"marina_portal.core.queue"} == set()
