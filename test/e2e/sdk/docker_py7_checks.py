"""What an application using docker-py 7 (Debian unstable's python3-docker 7.2) does against Skep over engines 28.

Run by test/e2e/today.test.ts with DOCKER_HOST pointing at Skep and PYTHONPATH at docker-py 7; prints one JSON
object of findings, on which the test asserts.
"""
import io
import json
import sys
import tarfile
import threading
import time

import docker

client = docker.from_env()
found = {"docker_py": docker.__version__, "api_version": client.api.api_version}

# events: what a watcher sees while the rest runs
seen_events = []
since = int(time.time())


def watch():
    for event in client.events(decode=True, since=since, until=since + 60, filters={"type": "container", "label": "pyseven"}):
        seen_events.append(event.get("Action"))
        if event.get("Action") == "destroy":
            return


watcher = threading.Thread(target=watch, daemon=True)
watcher.start()

# containers: run, logs, exec, attach to what it wrote, wait, remove
container = client.containers.run("busybox", ["sh", "-c", "echo hello-seven; sleep 60"], detach=True, name="py7", labels={"pyseven": "1"})
time.sleep(1)
found["logs"] = container.logs().decode()
exit_code, output = container.exec_run(["echo", "exec-seven"])
found["exec"] = [exit_code, output.decode()]
found["attach_logs"] = client.api.attach(container.id, stream=False, logs=True).decode()
found["listed"] = [c.name for c in client.containers.list(filters={"label": "pyseven"})]
container.stop(timeout=1)
found["wait"] = container.wait()["StatusCode"]
container.remove()
watcher.join(timeout=30)
found["events"] = seen_events

# images: build (the legacy builder through the API), found at once, tags by ID from every node
context = io.BytesIO()
with tarfile.open(fileobj=context, mode="w") as tar:
    dockerfile = b"FROM busybox\nRUN echo built-seven > /built\n"
    info = tarfile.TarInfo("Dockerfile")
    info.size = len(dockerfile)
    tar.addfile(info, io.BytesIO(dockerfile))
context.seek(0)
image, _ = client.images.build(fileobj=context, custom_context=True, tag="py7built:1", rm=True)
found["built_tags"] = image.tags
found["built_runs"] = client.containers.run("py7built:1", ["cat", "/built"], remove=True).decode()
busybox = client.images.get("busybox")
busybox.tag("py7tag", "one")
found["tags_by_id"] = sorted(client.images.get(busybox.id).tags)
saved = tarfile.open(fileobj=io.BytesIO(b"".join(client.images.get("busybox").save())))
found["saved_images"] = len(json.load(saved.extractfile("manifest.json")))
client.images.remove("py7tag:one")

# networks and volumes: created, found, inspected as created
network = client.networks.create("py7net")
found["network_found"] = client.networks.get(network.id).name == "py7net"
found["network_listed"] = [n.name for n in client.networks.list(names=["py7net"])]
network.remove()
volume = client.volumes.create("py7vol", labels={"a": "b"})
found["volume_same_after_create"] = client.volumes.get("py7vol").attrs == volume.attrs

# a named volume's data follows it from one container to the next
client.containers.run("busybox", ["sh", "-c", "echo written > /v/f"], volumes={"py7data": {"bind": "/v"}}, remove=True)
client.containers.run("busybox", ["sleep", "60"], detach=True, name="py7other")
found["volume_data"] = client.containers.run("busybox", ["cat", "/v/f"], volumes={"py7data": {"bind": "/v"}}, remove=True).decode()
client.containers.get("py7other").remove(force=True)

# prune: an anonymous volume left by a container goes, named ones stay, and the answer says what went
anonymous = client.containers.get(client.api.create_container("busybox", ["true"], volumes=["/scratch"])["Id"])
anonymous_name = [m["Name"] for m in anonymous.attrs["Mounts"]][0]
anonymous.remove()
pruned = client.volumes.prune()
found["pruned_anonymous"] = anonymous_name in (pruned["VolumesDeleted"] or [])
found["named_kept"] = client.volumes.get("py7vol").name == "py7vol"
volume.remove()
client.volumes.get("py7data").remove()

json.dump(found, sys.stdout)
