/*
 * The sandbox ("pause") process of every pod on the test nodes, and the smallest workload image
 * the node tests run. It holds the pod's namespaces open and does nothing else: it sleeps until
 * a signal arrives, reaps children it inherits as PID 1, and exits on SIGINT/SIGTERM so pods stop
 * at once instead of waiting for SIGKILL after the grace period.
 * Written here (not pulled) because the test machines have no registry access.
 *
 * `pause --dial-kubernetes` instead opens one TCP connection to the address in-cluster clients use
 * (KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT) and exits 0 if it connected: the node tests'
 * proof that a pod reaches the apiserver without a pod network.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static int dial_kubernetes(void) {
  // Kubernetes sets the host as an IP address; no name lookup (static glibc has no NSS).
  const char *host = getenv("KUBERNETES_SERVICE_HOST");
  const char *port = getenv("KUBERNETES_SERVICE_PORT");
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
  struct sockaddr_in v4 = {.sin_family = AF_INET};
  struct sockaddr *addr = (struct sockaddr *)&v4;
  socklen_t len = sizeof v4;
  if (host == NULL || port == NULL) {
    fprintf(stderr, "KUBERNETES_SERVICE_HOST/PORT not set\n");
    return 2;
  }
  v4.sin_port = v6.sin6_port = htons((uint16_t)atoi(port));
  if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
    addr = (struct sockaddr *)&v6;
    len = sizeof v6;
  } else if (inet_pton(AF_INET, host, &v4.sin_addr) != 1) {
    fprintf(stderr, "KUBERNETES_SERVICE_HOST is not an IP address: %s\n", host);
    return 2;
  }
  int fd = socket(addr->sa_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, addr, len) < 0) {
    perror("connect");
    return 1;
  }
  printf("connected to %s:%s\n", host, port);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    puts("kube-bind-ts pause 2");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--dial-kubernetes") == 0) return dial_kubernetes();
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0) {
    perror("sigaction");
    return 1;
  }
  for (;;) pause();
}
