"""librime's C API through ctypes: struct layouts and prototypes, checked against librime 1.8.5's rime_api.h.

Only the runtime library (Debian librime1, librime.so.1) is needed; no header, no compiler. The flat functions
(RimeSetup, RimeProcessKey...) are used where they exist; RimeSelectCandidate is not exported as a flat symbol
in 1.8.5, so candidate selection goes through the RimeApi function table returned by rime_get_api(), whose
layout is verified at load time against the flat symbols (see RimeLibrary.api_function).

This module holds no state besides the loaded library; drivers.input.rime.runtime owns the process-wide set-up.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from ctypes import POINTER, Structure, c_char_p, c_int, c_size_t, c_void_p

RimeSessionId = ctypes.c_size_t  # uintptr_t
Bool = c_int

# X11 keysyms understood by RimeProcessKey (printable ASCII is its own keysym).
XK_BackSpace = 0xFF08
XK_Return = 0xFF0D
XK_Escape = 0xFF1B
XK_Page_Up = 0xFF55
XK_Page_Down = 0xFF56
XK_space = 0x20

LIBRARY_NAMES = ("librime.so.1", "librime.so")


def _init(struct: Structure) -> Structure:
    """RIME_STRUCT_INIT: data_size is the struct's size without the data_size member itself."""
    struct.data_size = ctypes.sizeof(type(struct)) - ctypes.sizeof(c_int)
    return struct


class RimeTraits(Structure):
    _fields_ = [
        ("data_size", c_int),
        ("shared_data_dir", c_char_p),
        ("user_data_dir", c_char_p),
        ("distribution_name", c_char_p),
        ("distribution_code_name", c_char_p),
        ("distribution_version", c_char_p),
        ("app_name", c_char_p),
        ("modules", POINTER(c_char_p)),
        ("min_log_level", c_int),
        ("log_dir", c_char_p),
        ("prebuilt_data_dir", c_char_p),
        ("staging_dir", c_char_p),
    ]


class RimeComposition(Structure):
    _fields_ = [
        ("length", c_int),
        ("cursor_pos", c_int),
        ("sel_start", c_int),
        ("sel_end", c_int),
        ("preedit", c_char_p),
    ]


class RimeCandidate(Structure):
    _fields_ = [("text", c_char_p), ("comment", c_char_p), ("reserved", c_void_p)]


class RimeMenu(Structure):
    _fields_ = [
        ("page_size", c_int),
        ("page_no", c_int),
        ("is_last_page", Bool),
        ("highlighted_candidate_index", c_int),
        ("num_candidates", c_int),
        ("candidates", POINTER(RimeCandidate)),
        ("select_keys", c_char_p),
    ]


class RimeCommit(Structure):
    _fields_ = [("data_size", c_int), ("text", c_char_p)]


class RimeContext(Structure):
    _fields_ = [
        ("data_size", c_int),
        ("composition", RimeComposition),
        ("menu", RimeMenu),
        ("commit_text_preview", c_char_p),
        ("select_labels", POINTER(c_char_p)),
    ]


class RimeStatus(Structure):
    _fields_ = [
        ("data_size", c_int),
        ("schema_id", c_char_p),
        ("schema_name", c_char_p),
        ("is_disabled", Bool),
        ("is_composing", Bool),
        ("is_ascii_mode", Bool),
        ("is_full_shape", Bool),
        ("is_simplified", Bool),
        ("is_traditional", Bool),
        ("is_ascii_punct", Bool),
    ]


# Members of struct rime_api_t after data_size, in header order (librime 1.8.5): all function pointers.
API_MEMBERS = (
    "setup set_notification_handler initialize finalize start_maintenance is_maintenance_mode "
    "join_maintenance_thread deployer_initialize prebuild deploy deploy_schema deploy_config_file sync_user_data "
    "create_session find_session destroy_session cleanup_stale_sessions cleanup_all_sessions process_key "
    "commit_composition clear_composition get_commit free_commit get_context free_context get_status free_status "
    "set_option get_option set_property get_property get_schema_list free_schema_list get_current_schema "
    "select_schema schema_open config_open config_close config_get_bool config_get_int config_get_double "
    "config_get_string config_get_cstring config_update_signature config_begin_map config_next config_end "
    "simulate_key_sequence register_module find_module run_task get_shared_data_dir get_user_data_dir "
    "get_sync_dir get_user_id get_user_data_sync_dir config_init config_load_string config_set_bool "
    "config_set_int config_set_double config_set_string config_get_item config_set_item config_clear "
    "config_create_list config_create_map config_list_size config_begin_list get_input get_caret_pos "
    "select_candidate get_version set_caret_pos select_candidate_on_current_page candidate_list_begin "
    "candidate_list_next candidate_list_end user_config_open candidate_list_from_index get_prebuilt_data_dir "
    "get_staging_dir commit_proto context_proto status_proto get_state_label delete_candidate "
    "delete_candidate_on_current_page"
).split()


class RimeApi(Structure):
    _fields_ = [("data_size", c_int)] + [(name, c_void_p) for name in API_MEMBERS]


_PROTOTYPES = {
    # name: (restype, argtypes)
    "RimeSetup": (None, [POINTER(RimeTraits)]),
    "RimeInitialize": (None, [POINTER(RimeTraits)]),
    "RimeFinalize": (None, []),
    "RimeStartMaintenance": (Bool, [Bool]),
    "RimeJoinMaintenanceThread": (None, []),
    "RimeCreateSession": (RimeSessionId, []),
    "RimeFindSession": (Bool, [RimeSessionId]),
    "RimeDestroySession": (Bool, [RimeSessionId]),
    "RimeCleanupAllSessions": (None, []),
    "RimeProcessKey": (Bool, [RimeSessionId, c_int, c_int]),
    "RimeCommitComposition": (Bool, [RimeSessionId]),
    "RimeClearComposition": (None, [RimeSessionId]),
    "RimeGetCommit": (Bool, [RimeSessionId, POINTER(RimeCommit)]),
    "RimeFreeCommit": (Bool, [POINTER(RimeCommit)]),
    "RimeGetContext": (Bool, [RimeSessionId, POINTER(RimeContext)]),
    "RimeFreeContext": (Bool, [POINTER(RimeContext)]),
    "RimeGetStatus": (Bool, [RimeSessionId, POINTER(RimeStatus)]),
    "RimeFreeStatus": (Bool, [POINTER(RimeStatus)]),
    "RimeSetOption": (None, [RimeSessionId, c_char_p, Bool]),
    "RimeGetOption": (Bool, [RimeSessionId, c_char_p]),
    "RimeSelectSchema": (Bool, [RimeSessionId, c_char_p]),
    "rime_get_api": (POINTER(RimeApi), []),
}

# Function-table entries used by the engine, with their C signatures.
_API_PROTOTYPES = {
    "select_candidate": ctypes.CFUNCTYPE(Bool, RimeSessionId, c_size_t),
    "select_candidate_on_current_page": ctypes.CFUNCTYPE(Bool, RimeSessionId, c_size_t),
    "get_version": ctypes.CFUNCTYPE(c_char_p),
    "get_input": ctypes.CFUNCTYPE(c_char_p, RimeSessionId),
}

# Flat symbols whose address must equal the function-table entry of the same meaning: proves the layout.
_LAYOUT_PROBES = {
    "create_session": "RimeCreateSession",
    "process_key": "RimeProcessKey",
    "get_context": "RimeGetContext",
    "config_begin_list": "RimeConfigBeginList",
    "candidate_list_from_index": "RimeCandidateListFromIndex",
}


class RimeLoadError(OSError):
    pass


class RimeLibrary:
    """The loaded librime with prototypes set; raises RimeLoadError when the library or a symbol is missing."""

    def __init__(self, path: str | None = None):
        candidates = [path] if path else [*LIBRARY_NAMES, ctypes.util.find_library("rime")]
        errors = []
        self.lib = None
        for name in candidates:
            if not name:
                continue
            try:
                self.lib = ctypes.CDLL(name)
                self.path = name
                break
            except OSError as exc:
                errors.append(f"{name}: {exc}")
        if self.lib is None:
            raise RimeLoadError("librime not found (" + "; ".join(errors or ["no candidates"]) + ")")
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(self.lib, name)
            except AttributeError:
                raise RimeLoadError(f"librime at {self.path} lacks {name}") from None
            fn.restype = restype
            fn.argtypes = argtypes
        self._api = self.lib.rime_get_api()
        if not self._api:
            raise RimeLoadError("rime_get_api() returned NULL")
        self._api_ok = self._check_layout()
        self._api_functions: dict[str, object] = {}

    def __getattr__(self, name: str):
        if name.startswith("Rime"):
            return getattr(self.lib, name)
        raise AttributeError(name)

    def _check_layout(self) -> bool:
        api = self._api.contents
        for member, symbol in _LAYOUT_PROBES.items():
            if getattr(api, member) != ctypes.cast(getattr(self.lib, symbol), c_void_p).value:
                return False
        return True

    def api_function(self, member: str):
        """A function from the RimeApi table, or None when the table lacks it (older librime, layout mismatch)."""
        if member in self._api_functions:
            return self._api_functions[member]
        fn = None
        if self._api_ok:
            api = self._api.contents
            offset = getattr(RimeApi, member).offset
            if api.data_size + ctypes.sizeof(c_int) >= offset + ctypes.sizeof(c_void_p):
                address = getattr(api, member)
                if address:
                    fn = _API_PROTOTYPES[member](address)
        self._api_functions[member] = fn
        return fn

    def version(self) -> str:
        fn = self.api_function("get_version")
        return fn().decode() if fn else "unknown"


def new_traits() -> RimeTraits:
    return _init(RimeTraits())


def new_context() -> RimeContext:
    return _init(RimeContext())


def new_commit() -> RimeCommit:
    return _init(RimeCommit())


def new_status() -> RimeStatus:
    return _init(RimeStatus())


__all__ = [
    "RimeLibrary", "RimeLoadError", "RimeTraits", "RimeContext", "RimeCommit", "RimeStatus", "RimeApi",
    "new_traits", "new_context", "new_commit", "new_status",
]
