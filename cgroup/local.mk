# cgroup/: binding and accounting (issue 5)
