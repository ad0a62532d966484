//! Own the node's durable ledger store (redb). See the storage brief.
