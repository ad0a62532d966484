//! Choose free TCP ports on 127.0.0.1.
//!
//! A port is found by binding port 0 and reading what the OS gave. All listeners of one
//! call are held open until every port is chosen, so one call never returns the same
//! port twice; once released, another process could take a port before `vouchd` binds
//! it, which is why callers retry startup on "address in use".

use std::net::{Ipv4Addr, TcpListener};

/// Why no ports could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// Binding failed.
    #[error("cannot bind a free port on 127.0.0.1: {0}; next: check that the loopback interface is up")]
    Bind(std::io::Error),
    /// A base port range would pass 65535.
    #[error("--base-port {base} with {count} ports passes 65535; next: choose a lower base port")]
    Range {
        /// The base port.
        base: u16,
        /// Ports wanted.
        count: usize,
    },
}

/// `count` distinct free ports.
pub fn free_ports(count: usize) -> Result<Vec<u16>, PortError> {
    let mut held = Vec::with_capacity(count);
    let mut ports = Vec::with_capacity(count);
    for _ in 0..count {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(PortError::Bind)?;
        ports.push(listener.local_addr().map_err(PortError::Bind)?.port());
        held.push(listener);
    }
    Ok(ports)
}

/// `count` consecutive ports from `base` (for `up --base-port`); not checked for use.
pub fn consecutive_ports(base: u16, count: usize) -> Result<Vec<u16>, PortError> {
    let last = usize::from(base).saturating_add(count);
    if base == 0 || last > usize::from(u16::MAX) + 1 {
        return Err(PortError::Range { base, count });
    }
    Ok((0..count).filter_map(|i| u16::try_from(usize::from(base) + i).ok()).collect())
}

/// Whether 127.0.0.1:`port` can be bound now (nothing listens on it).
pub fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_bindable() {
        let ports = free_ports(10).expect("ports");
        let unique: std::collections::BTreeSet<_> = ports.iter().collect();
        assert_eq!(unique.len(), 10);
        assert!(ports.iter().all(|p| *p != 0));
        // Released: each can be bound again.
        for p in &ports {
            assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, *p)).is_ok(), "port {p}");
        }
    }

    #[test]
    fn consecutive_ports_check_the_range() {
        assert_eq!(consecutive_ports(27000, 3).expect("range"), vec![27000, 27001, 27002]);
        assert!(consecutive_ports(65534, 3).is_err());
        assert!(consecutive_ports(65534, 2).is_ok());
        assert!(consecutive_ports(0, 1).is_err());
    }

    #[test]
    fn a_held_port_is_not_free() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = l.local_addr().expect("addr").port();
        assert!(!is_free(port));
        drop(l);
        assert!(is_free(port));
    }
}
