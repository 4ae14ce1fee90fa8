//! A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, a free
//! port on 127.0.0.1, stopped and deleted when the guard drops.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::tools::{apt_install, output};

/// A running cluster; dropping it stops the server and removes its files.
pub(crate) struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    as_postgres_user: bool,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
}

impl Cluster {
    /// Starts a cluster, installing Debian's PostgreSQL first when no server is installed.
    pub(crate) fn start() -> Result<Cluster> {
        let bin = match server_bin_dir() {
            Some(bin) => bin,
            None => {
                crate::step("Installing Debian's postgresql (the tests start their own cluster)");
                apt_install(&["postgresql"])?;
                server_bin_dir().context("postgresql was installed but no initdb was found")?
            }
        };
        let as_root = output(Command::new("id").arg("-u"))
            .map(|id| id.trim() == "0")
            .unwrap_or(false);
        let data = std::env::temp_dir().join(format!("entrada-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).context("creating the cluster folder")?;
        if as_root {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            ensure_postgres_user()?;
            run_quiet(Command::new("chown").arg("postgres:").arg(&data))?;
        }
        let port = free_port()?;
        let cluster = Cluster {
            bin,
            data,
            as_postgres_user: as_root,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        let data = cluster.data.display().to_string();
        run_quiet(&mut cluster.command(
            "initdb",
            &[
                "-D",
                &data,
                "--auth=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        ))?;
        let options = format!(
            "-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        );
        let log = format!("{data}/server.log");
        run_quiet(&mut cluster.command(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &options, "start"],
        ))
        .with_context(|| format!("starting PostgreSQL; its log is {log}"))?;
        Ok(cluster)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        match self.as_postgres_user {
            true => {
                let mut command = Command::new("runuser");
                command
                    .args(["-u", "postgres", "--"])
                    .arg(program)
                    .args(args);
                command
            }
            false => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The newest installed PostgreSQL server's bin folder.
fn server_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn ensure_postgres_user() -> Result<()> {
    if Command::new("id")
        .arg("postgres")
        .output()
        .is_ok_and(|out| out.status.success())
    {
        return Ok(());
    }
    run_quiet(Command::new("useradd").args(["-r", "postgres"]))
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn run_quiet(command: &mut Command) -> Result<()> {
    let result = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    if !result.status.success() {
        bail!(
            "{command:?} failed with {}:\n{}{}",
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
    Ok(())
}
