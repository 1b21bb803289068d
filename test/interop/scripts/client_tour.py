"""A tour of the rest of the MlflowClient API against slipway: lifecycle, registry management,
artifact trees, logged models. Usage: python client_tour.py <results.json>. Asserts as it goes;
writes the names of the steps it passed.
"""

import json
import os
import sys
import tempfile
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from packaging.version import Version

out_path = sys.argv[1]
client = MlflowClient()
passed = []
suffix = uuid.uuid4().hex[:6]
MLFLOW_3 = Version(mlflow.__version__).major >= 3


def step(name):
    passed.append(name)


# Experiments: rename, tags, delete, restore, search by view type.
exp_id = client.create_experiment(f"tour-{suffix}", tags={"a": "1"})
client.rename_experiment(exp_id, f"tour-renamed-{suffix}")
assert client.get_experiment(exp_id).name == f"tour-renamed-{suffix}"
client.delete_experiment(exp_id)
assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
assert exp_id in [e.experiment_id for e in deleted]
client.restore_experiment(exp_id)
assert client.get_experiment(exp_id).lifecycle_stage == "active"
if hasattr(client, "delete_experiment_tag"):  # 3.x only
    client.delete_experiment_tag(exp_id, "a")
    assert "a" not in client.get_experiment(exp_id).tags
step("experiments")

# Runs: terminate, delete, restore, delete a tag, nested runs via the fluent API.
mlflow.set_experiment(experiment_id=exp_id)
with mlflow.start_run(run_name="parent") as parent:
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_metric("x", 1.0)
    mlflow.set_tag("to-delete", "1")
client.delete_tag(parent.info.run_id, "to-delete")
assert "to-delete" not in client.get_run(parent.info.run_id).data.tags
children = client.search_runs([exp_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
assert [r.info.run_id for r in children] == [child.info.run_id]
client.delete_run(child.info.run_id)
assert client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)[0].info.run_id == child.info.run_id
client.restore_run(child.info.run_id)
assert client.get_run(child.info.run_id).info.lifecycle_stage == "active"
step("runs")

# Artifacts: log_dict / log_text, a whole-tree download, listing nested paths.
with mlflow.start_run(experiment_id=exp_id) as run:
    mlflow.log_dict({"k": [1, 2]}, "cfg/config.json")
    mlflow.log_text("hello", "notes/readme.txt")
    with tempfile.TemporaryDirectory() as d:
        root = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=d)
        assert json.load(open(os.path.join(root, "cfg", "config.json"))) == {"k": [1, 2]}
        assert open(os.path.join(root, "notes", "readme.txt")).read() == "hello"
    assert [f.path for f in client.list_artifacts(run.info.run_id, "cfg")] == ["cfg/config.json"]
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/readme.txt") == "hello"
step("artifacts")

# Registry management: tags, description, stages, latest versions, rename, search, delete.
name = f"tour-model-{suffix}"
client.create_registered_model(name, tags={"t": "1"}, description="first")
with mlflow.start_run(experiment_id=exp_id) as run:
    mlflow.log_text("not a model", "model/readme.txt")
v = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
assert v.version == "1" and v.status == "READY"
client.update_registered_model(name, description="second")
client.set_registered_model_tag(name, "t2", "2")
client.delete_registered_model_tag(name, "t")
rm = client.get_registered_model(name)
assert rm.description == "second" and rm.tags == {"t2": "2"}, (rm.description, rm.tags)
client.update_model_version(name, "1", description="v1")
client.set_model_version_tag(name, "1", "k", "v")
client.delete_model_version_tag(name, "1", "k")
mv = client.get_model_version(name, "1")
assert mv.description == "v1" and mv.tags == {}
client.transition_model_version_stage(name, "1", "Staging")
assert [x.version for x in client.get_latest_versions(name, stages=["Staging"])] == ["1"]
client.set_registered_model_alias(name, "prod", "1")
client.delete_registered_model_alias(name, "prod")
assert client.get_registered_model(name).aliases == {}
found = client.search_registered_models(filter_string=f"name = '{name}'")
assert [m.name for m in found] == [name]
client.rename_registered_model(name, name + "-r")
assert client.get_model_version(name + "-r", "1").current_stage == "Staging"
uri = client.get_model_version_download_uri(name + "-r", "1")
assert uri.endswith(f"{run.info.run_id}/artifacts/model"), uri
client.delete_model_version(name + "-r", "1")
client.delete_registered_model(name + "-r")
step("registry")

# Logged models (MLflow 3): create, params, tags, search, finalize, delete.
if MLFLOW_3:
    model = client.create_logged_model(exp_id, name="tour", params={"p": "1"}, tags={"t": "1"})
    client.log_model_params(model.model_id, {"q": "2"})
    client.set_logged_model_tags(model.model_id, {"u": "3"})
    client.delete_logged_model_tag(model.model_id, "t")
    client.finalize_logged_model(model.model_id, "READY")
    got = client.get_logged_model(model.model_id)
    assert got.params == {"p": "1", "q": "2"} and got.tags.get("u") == "3" and "t" not in got.tags, (got.params, got.tags)
    assert str(got.status).endswith("READY"), got.status
    models = client.search_logged_models(experiment_ids=[exp_id])
    assert model.model_id in [m.model_id for m in models]
    client.delete_logged_model(model.model_id)
    step("logged_models")

with open(out_path, "w") as f:
    json.dump({"passed": passed}, f)
