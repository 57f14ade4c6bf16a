import os
from pathlib import Path

import pytest

from kindred_infra.stack import state
from kindred_infra.stack.control import read_env_file
from kindred_infra.stack.plan import StackOptions, StackPorts, plan, render_env_file, stack_env


def test_ports_default_and_each_overridable_from_the_environment():
    assert StackPorts.from_env({}) == StackPorts()
    ports = StackPorts.from_env({"KINDRED_GRAPH_PORT": "9999", "KINDRED_FUNCTIONS_PORT": "7000"})
    assert (ports.graph, ports.functions, ports.firestore) == (9999, 7000, StackPorts().firestore)


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_bad_port_is_refused_with_the_variable_named(value):
    with pytest.raises(ValueError, match="KINDRED_TASKS_PORT"):
        StackPorts.from_env({"KINDRED_TASKS_PORT": value})


def test_the_plan_starts_every_part_on_its_port_and_names_its_port_variable(tmp_path):
    options = StackOptions(home=tmp_path, ports=StackPorts(1, 2, 3, 4, 5))
    parts = {part.name: part for part in plan(options)}
    assert {name: part.port for name, part in parts.items()} == {
        "firestore": 1,
        "storage": 2,
        "tasks": 3,
        "graph": 4,
        "mail": StackPorts().mail,
        "function:api": 5,
        "function:tasks": 6,
        "function:scheduler": 7,
        "function:sweeper": 8,
        "cron": 0,
    }
    assert parts["function:api"].env["KINDRED_TASKS_URL"] == "http://127.0.0.1:6"
    assert parts["cron"].argv[-2:] == (
        "scheduler=http://127.0.0.1:7@10",
        "sweeper=http://127.0.0.1:8@60",
    )
    assert parts["function:api"].port_variable == "KINDRED_FUNCTIONS_PORT"
    assert parts["graph"].port_variable == "KINDRED_GRAPH_PORT"
    assert parts["function:api"].env["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:1"


def test_the_mail_server_listens_on_the_stacks_ports_and_the_functions_send_there(tmp_path):
    options = StackOptions(home=tmp_path, ports=StackPorts(mail=2525, mail_web=2580))
    parts = {part.name: part for part in plan(options)}
    argv = " ".join(parts["mail"].argv)
    assert "--ip 127.0.0.1 --smtp 2525" in argv and "--web-ip 127.0.0.1 --web 2580" in argv
    assert f"--mail-directory {tmp_path / 'mail'}" in argv  # kept between runs
    assert parts["mail"].health_url == "http://127.0.0.1:2580/healthz"
    assert parts["mail"].port_variable == "KINDRED_MAIL_PORT"
    env = parts["function:tasks"].env
    assert (env["KINDRED_SMTP_HOST"], env["KINDRED_SMTP_PORT"]) == ("127.0.0.1", "2525")
    assert env["KINDRED_SMTP_SECURITY"] == "none"
    assert stack_env(options)["KINDRED_MAIL_URL"] == "http://127.0.0.1:2580"
    moved = StackPorts.from_env({"KINDRED_MAIL_PORT": "3025", "KINDRED_MAIL_WEB_PORT": "3080"})
    assert (moved.mail, moved.mail_web) == (3025, 3080)


def test_graph_options_reach_the_graph_server(tmp_path):
    options = StackOptions(
        home=tmp_path, graph=Path("/data/g.txt"), graph_name="g", faults=0.1, fault_seed=7
    )
    argv = next(part.argv for part in plan(options) if part.name == "graph")
    joined = " ".join(argv)
    assert "--graph /data/g.txt" in joined and "--graph-name g" in joined
    assert "--faults 0.1" in joined and "--fault-seed 7" in joined


def test_the_env_file_round_trips(tmp_path):
    env = stack_env(StackOptions(home=tmp_path))
    assert env["STORAGE_EMULATOR_HOST"].startswith("http://")  # the storage client wants a URL
    (tmp_path / "stack.env").write_text(render_env_file(env))
    assert read_env_file(tmp_path) == env
    assert read_env_file(tmp_path / "elsewhere") == {}


def test_a_recorded_process_is_alive_only_while_it_is_the_same_process(tmp_path):
    me = state.RunningPart("me", os.getpid(), state.start_ticks(os.getpid()), "e", None, 1, "log")
    assert state.is_alive(me)
    reused = state.RunningPart("me", os.getpid(), (me.start_ticks or 0) + 1, "e", None, 1, "log")
    assert not state.is_alive(reused)
    record = state.StackRecord(1.0, 2.0, (me,))
    state.save(tmp_path, record)
    assert state.load(tmp_path) == record
    state.forget(tmp_path)
    assert state.load(tmp_path) is None
