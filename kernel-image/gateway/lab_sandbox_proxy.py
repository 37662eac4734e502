"""Enterprise Gateway process proxy for sandboxed local kernels.

EG's LocalProcessProxy pins the kernel manager's ip to 127.0.0.1, and with transport=ipc jupyter_client
turns that ip into *relative* socket paths ("127.0.0.1-5"). The sandbox has no network, so ZMQ must use
ipc sockets at absolute paths inside a per-kernel folder that the launcher binds into that kernel's
sandbox (and no other). Named in the kernelspec: metadata.process_proxy.class_name.
"""
import os
import shutil

from enterprise_gateway.services.processproxies.processproxy import LocalProcessProxy


class SandboxProcessProxy(LocalProcessProxy):
    def __init__(self, kernel_manager, proxy_config):
        super().__init__(kernel_manager, proxy_config)
        runtime_dir = proxy_config["runtime_dir"]
        # <runtime>/<kernel_id>/ipc-<port>: launch_kernel.py checks the folder sits directly in runtime_dir.
        self.kernel_dir = os.path.join(runtime_dir, self.kernel_id)
        kernel_manager.transport = "ipc"
        kernel_manager.ip = os.path.join(self.kernel_dir, "ipc")

    def cleanup(self):
        # Called after shutdown; the folder holds the HMAC key and dead sockets.
        shutil.rmtree(self.kernel_dir, ignore_errors=True)
        super().cleanup()
