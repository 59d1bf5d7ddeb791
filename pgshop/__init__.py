"""The operations command `pgshop` (console script of the project): set-up, deploy, serve, test, back up,
scale out, bench. `pgshop --help` lists the commands; each module is one job."""
