/* SPDX-License-Identifier: MIT */
/* main.c -- the mechviz-kernel program: arguments, signals, run, exit.
 *
 * Parses `-f CONNECTION_FILE` (as written in kernel.json's argv), installs a SIGINT
 * handler that only sets a flag (jupyter_client interrupts before every shutdown, and
 * interrupt_mode "signal" delivers SIGINT to the whole process group, so the process
 * must survive it), then hands control to the dispatcher in kernel.c. The only globals
 * of the program live here: the interrupt flag a signal handler must reach. The state
 * of the kernel itself is one kernel_t (kernel.h documents it field by field). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "util.h"
#include "widget.h"
#include "widget.h"

/* Set by SIGINT (and by interrupt and shutdown requests on the control thread), read
 * (and cleared) by the interpreter's long loops and the dispatcher. */
static volatile sig_atomic_t main_interrupted;

static void main_on_sigint(int sig) {
    (void)sig;
    main_interrupted = 1;
}

static void main_usage(FILE *f) {
    fprintf(f, "usage: mechviz-kernel -f CONNECTION_FILE\n"
               "       mechviz-kernel --version | --help\n\n"
               "A Jupyter kernel for mechanistic-interpretability visualisation.\n"
               "Jupyter starts it from its kernelspec (kernel.json); install that with\n"
               "`make install`. Set MECHVIZ_LOG=0|1|2 for errors, warnings, info on "
               "stderr.\n");
}

int main(int argc, char **argv) {
    const char *connection_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("mechviz-kernel %s (Jupyter protocol %s)\n", KERNEL_VERSION,
                   MSG_PROTOCOL_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            main_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
            connection_file = argv[++i];
        } else if (strncmp(argv[i], "--connection-file=", 18) == 0) {
            connection_file = argv[i] + 18;
        } else {
            fprintf(stderr, "mechviz-kernel: unexpected argument '%s'\n", argv[i]);
            main_usage(stderr);
            return 2;
        }
    }
    if (!connection_file) {
        main_usage(stderr);
        return 2;
    }
    const char *lvl = getenv("MECHVIZ_LOG");
    util_set_log_level(lvl && *lvl ? atoi(lvl) : 1);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = main_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    kernel_t k;
    err_t err;
    err_clear(&err);
    if (kernel_init(&k, connection_file, &main_interrupted, &err) != 0) {
        log_error("cannot start: %s", err.msg);
        kernel_fini(&k);
        return 1;
    }
    /* The widget host registers the widget comm targets and the out->widget hook. */
    widget_host_t *widgets = widget_host_new(&k);
    int rc = kernel_run(&k);
    widget_host_free(widgets);
    kernel_fini(&k);
    return rc == 0 ? 0 : 1;
}
