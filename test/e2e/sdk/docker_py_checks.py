"""What programs using docker-py do against Skep (Debian's python3-docker). Prints one JSON object of findings.

Run by test/e2e/docker-py.test.ts with DOCKER_HOST pointing at Skep; it asserts on the output.
"""
import io
import json
import os
import sys
import tarfile

import docker

client = docker.from_env(version="1.41")
found = {}

# build: docker-py inspects the image as soon as the stream ends (read your own writes)
context = io.BytesIO()
with tarfile.open(fileobj=context, mode="w") as tar:
    dockerfile = b"FROM busybox\nRUN echo built > /built\n"
    info = tarfile.TarInfo("Dockerfile")
    info.size = len(dockerfile)
    tar.addfile(info, io.BytesIO(dockerfile))
context.seek(0)
image, _ = client.images.build(fileobj=context, custom_context=True, tag="pybuilt:1", rm=True)
found["built_tags"] = image.tags

# tag, then get at once
image.tag("pybuilt", "2")
found["tagged"] = client.images.get("pybuilt:2").id == image.id

# load: docker-py finds the loaded images by parsing the engine's lines
archive = b"".join(client.images.get("busybox").save())
loaded = client.images.load(archive)
found["loaded_tags"] = sorted({t for i in loaded for t in i.tags})

# networks and volumes just created are found at once
network = client.networks.create("pynet", labels={"com.docker.swarm.constraints": '["node==node2"]'})
found["network_found"] = client.networks.get(network.id).name == "pynet"
volume = client.volumes.create("pyvol")
found["volume_found"] = client.volumes.get("pyvol").name == "pyvol"

# a container created, then renamed, is found by its new name at once
container = client.containers.create("busybox", "true", name="pyold")
container.rename("pynew")
found["renamed_found"] = client.containers.get("pynew").id == container.id
container.remove()
network.remove()
volume.remove()

json.dump(found, sys.stdout)
