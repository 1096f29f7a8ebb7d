"""E-invoicing: channels behind one small interface (channel.py) picked by configuration, the lifecycle of each
invoice handed over (sending.py), suppliers' invoices received (receiving.py), and e-reporting (ereporting.py).

EINVOICING_CHANNEL names the channel for business customers (file-drop by default, folder EINVOICING_DROP_DIR);
customers recorded as public buyers go through EINVOICING_PUBLIC_CHANNEL (chorus-pro, EINVOICING_CHORUS_DIR).
A folder left unset is DATA_DIR/einvoicing/<channel>.
"""

import os

from flask import current_app

from marina_portal.core.storage import data_dir
from marina_portal.einvoicing import chorus_pro, file_drop  # noqa: F401  (register themselves)
from marina_portal.einvoicing.channel import REGISTRY, ChannelError

FOLDER_SETTINGS = {"file-drop": "EINVOICING_DROP_DIR", "chorus-pro": "EINVOICING_CHORUS_DIR"}


def channel_named(name):
    """The channel registered under `name`, set up from the settings; ChannelError when unknown."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise ChannelError(f"Canal de facturation électronique inconnu : {name!r}.")
    folder = current_app.config.get(FOLDER_SETTINGS.get(name, "")) or os.path.join(data_dir(), "einvoicing", name)
    return cls(folder)


def business_channel():
    return channel_named(current_app.config["EINVOICING_CHANNEL"])


def public_channel():
    return channel_named(current_app.config["EINVOICING_PUBLIC_CHANNEL"])


def configured_channels():
    """Every channel the settings name, set up (ChannelError for a name no channel has)."""
    names = dict.fromkeys([current_app.config["EINVOICING_CHANNEL"], current_app.config["EINVOICING_PUBLIC_CHANNEL"]])
    return {name: channel_named(name) for name in names}


def chorus_sandbox():
    return bool(current_app.config.get("EINVOICING_CHORUS_SANDBOX"))


def platform_sandbox_on():
    """The approved platform played offline (development only; production refuses to start with it)."""
    return bool(current_app.config.get("EINVOICING_PLATFORM_SANDBOX"))
