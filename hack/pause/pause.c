/*
 * The sandbox ("pause") process of every pod on the test nodes, and the smallest workload image
 * the node tests run. It holds the pod's namespaces open and does nothing else: it sleeps until
 * a signal arrives, reaps children it inherits as PID 1, and exits on SIGINT/SIGTERM so pods stop
 * at once instead of waiting for SIGKILL after the grace period.
 * Written here (not pulled) because the test machines have no registry access.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    puts("kube-bind-ts pause 1");
    return 0;
  }
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0) {
    perror("sigaction");
    return 1;
  }
  for (;;) pause();
}
