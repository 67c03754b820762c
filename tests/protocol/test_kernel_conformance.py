# SPDX-License-Identifier: MIT
"""The standard conformance suite (jupyter_kernel_test) run against mechviz.

Every sample below is a cell of the mechviz language; the harness checks message
schemas, busy/idle framing, stdout/stderr, errors, results, displays, completion,
is_complete, inspection, history (tail, range, glob search) and clear_output.
"""
import unittest

import jupyter_kernel_test

import mvk


class MechvizKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = mvk.KERNEL_NAME
    language_name = "mechviz"
    file_extension = ".mvz"

    code_hello_world = "%echo hello, world"
    code_stderr = "%echo --stderr error"
    completion_samples = [
        {"text": "%ech", "matches": {"%echo"}},
        {"text": "%echo --std", "matches": {"--stderr"}},
    ]
    complete_code_samples = ["%who", "%echo a b", 'x = toks[0]']
    incomplete_code_samples = ["x = toks[0", "%echo a \\", '%echo "abc']
    invalid_code_samples = ["]", "x = = 3"]
    code_generate_error = "%nosuchmagic"
    code_execute_result = [
        {"code": '%tokens toks = "a" " b"\ntoks', "result": "['a', ' b']"},
        {"code": '%tokens words = "x"\nwords', "result": "['x']"},
    ]
    code_history_pattern = "%tokens toks*"
    supported_history_operations = ("tail", "range", "search")
    code_display_data = [
        {"code": "%tokens shown = \"a\"\n%who", "mime": "text/plain"},
        {"code": "%tokens shown = \"a\"\n%who", "mime": "text/html"},
    ]
    code_inspect_sample = "%load"
    code_clear_output = "%clear"

    @classmethod
    def setUpClass(cls):
        cls.km = mvk.kernel_manager()
        cls.km.start_kernel()
        cls.kc = cls.km.client()
        cls.kc.start_channels()
        cls.kc.wait_for_ready(timeout=mvk.TIMEOUT)


if __name__ == "__main__":
    unittest.main()
