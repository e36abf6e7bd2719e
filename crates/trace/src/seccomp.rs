//! The seccomp filter a traced program runs under: the calls a container
//! runtime's default profile (Docker's and containerd's `RuntimeDefault`)
//! refuses to a container without extra capabilities, that the traced
//! program could otherwise still make with the default capabilities it
//! keeps (see `tracer::CONTAINER_CAPS`).
//!
//! * `keyctl`, `add_key`, `request_key`: the kernel keyrings are not
//!   namespaced; a program traced as root would reach root's keyrings on
//!   the host.
//! * a new user namespace (`unshare` or `clone` with `CLONE_NEWUSER`): full
//!   capabilities inside it, and with them much more of the kernel to
//!   attack. `clone3` passes its flags in memory, where a filter cannot
//!   read them, so it fails with `ENOSYS` and the C library falls back to
//!   `clone`, as under the runtimes' profiles.
//! * `userfaultfd`, `perf_event_open`, `bpf`: kernel interfaces the default
//!   profile keeps from unprivileged containers.
//! * `io_uring_setup`, `io_uring_enter`, `io_uring_register`: refused by
//!   containerd 2.0's and Docker 25's default profiles (containerd#9320,
//!   moby#46762) for the container escapes found through them. Programs
//!   that use io_uring fall back to ordinary calls on `EPERM`, as they do
//!   in those pods; their writes reach the recorded layer either way.
//! * another system call ABI (i386 or x32 on x86-64), which would go
//!   around the numbers checked here: `ENOSYS`. A 32-bit program cannot be
//!   traced; a pod could run it.
//!
//! A denylist, not the runtimes' allowlist: the trace must not make
//! programs fail that a pod runs; everything else stays allowed.

/// A classic BPF program, ready for `seccomp(SECCOMP_SET_MODE_FILTER)`.
pub struct Filter {
    code: Vec<libc::sock_filter>,
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("rootlock trace's seccomp filter knows x86-64 and arm64 system calls only");

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

// BPF opcodes (linux/bpf_common.h): BPF_LD|BPF_W|BPF_ABS (0x00|0x00|0x20),
// BPF_JMP (0x05) with BPF_JEQ/JGE/JSET and BPF_K (0x00), BPF_RET|BPF_K.
const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;

// Offsets in `struct seccomp_data`: nr, arch, instruction pointer, args
// (the low half of args[0] on these little-endian machines).
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0_LOW: u32 = 16;

/// x32 system calls have this bit set in their number.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

fn nr(call: libc::c_long) -> u32 {
    u32::try_from(call).unwrap_or(u32::MAX)
}

/// Refused outright, with `EPERM`.
const REFUSED: [libc::c_long; 9] = [
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_userfaultfd,
    libc::SYS_perf_event_open,
    libc::SYS_bpf,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
];

impl Filter {
    /// Built before the fork it is installed after: the child only makes
    /// system calls.
    pub fn new() -> Filter {
        let eperm = RET_ERRNO | libc::EPERM as u32;
        let enosys = RET_ERRNO | libc::ENOSYS as u32;
        let mut code = vec![
            op(LD_W_ABS, 0, 0, ARCH),
            op(JEQ_K, 1, 0, AUDIT_ARCH),
            op(RET_K, 0, 0, enosys),
            op(LD_W_ABS, 0, 0, NR),
        ];
        #[cfg(target_arch = "x86_64")]
        code.extend([op(JGE_K, 0, 1, X32_SYSCALL_BIT), op(RET_K, 0, 0, enosys)]);
        for call in REFUSED {
            code.extend([op(JEQ_K, 0, 1, nr(call)), op(RET_K, 0, 0, eperm)]);
        }
        code.extend([
            op(JEQ_K, 0, 1, nr(libc::SYS_clone3)),
            op(RET_K, 0, 0, enosys),
        ]);
        // clone and unshare: refused only with CLONE_NEWUSER in the flags.
        for call in [libc::SYS_clone, libc::SYS_unshare] {
            code.extend([
                op(JEQ_K, 0, 4, nr(call)),
                op(LD_W_ABS, 0, 0, ARG0_LOW),
                op(JSET_K, 0, 1, libc::CLONE_NEWUSER as u32),
                op(RET_K, 0, 0, eperm),
                op(RET_K, 0, 0, RET_ALLOW),
            ]);
        }
        code.push(op(RET_K, 0, 0, RET_ALLOW));
        Filter { code }
    }

    /// Installs the filter on the calling thread, for it and every program
    /// it executes. Needs CAP_SYS_ADMIN (in its user namespace) or
    /// `no_new_privs`; returns the errno on failure. Only a system call:
    /// safe between fork and exec.
    pub fn install(&self) -> Result<(), i32> {
        let prog = libc::sock_fprog {
            len: u16::try_from(self.code.len()).unwrap_or(u16::MAX),
            filter: self.code.as_ptr().cast_mut(),
        };
        const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
        // SAFETY: `prog` points at `self.code`, alive for the call.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                0 as libc::c_long,
                &prog as *const libc::sock_fprog,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL))
        }
    }
}

impl Default for Filter {
    fn default() -> Self {
        Filter::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the filter as the kernel would on (arch, nr, args[0] low half).
    fn run(f: &Filter, arch: u32, nr: u32, arg0: u32) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let i = f.code[pc];
            pc += 1;
            match i.code {
                LD_W_ABS => {
                    acc = match i.k {
                        NR => nr,
                        ARCH => arch,
                        ARG0_LOW => arg0,
                        other => panic!("load at {other}"),
                    }
                }
                RET_K => return i.k,
                JEQ_K | JGE_K | JSET_K => {
                    let taken = match i.code {
                        JEQ_K => acc == i.k,
                        JGE_K => acc >= i.k,
                        _ => acc & i.k != 0,
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                other => panic!("opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn refuses_what_the_runtime_default_refuses_and_allows_the_rest() {
        let f = Filter::new();
        let eperm = RET_ERRNO | libc::EPERM as u32;
        let enosys = RET_ERRNO | libc::ENOSYS as u32;
        let call = |n: libc::c_long, arg0: u32| run(&f, AUDIT_ARCH, nr(n), arg0);
        for n in REFUSED {
            assert_eq!(call(n, 0), eperm, "{n}");
        }
        let newuser = libc::CLONE_NEWUSER as u32;
        let newns = libc::CLONE_NEWNS as u32;
        assert_eq!(call(libc::SYS_unshare, newuser | newns), eperm);
        assert_eq!(call(libc::SYS_clone, newuser), eperm);
        assert_eq!(call(libc::SYS_clone3, 0), enosys);
        // A thread, a fork, another namespace kind (refused by missing
        // capabilities, not by the filter), and ordinary calls.
        let thread = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u32;
        assert_eq!(call(libc::SYS_clone, thread), RET_ALLOW);
        assert_eq!(call(libc::SYS_clone, libc::SIGCHLD as u32), RET_ALLOW);
        assert_eq!(call(libc::SYS_unshare, newns), RET_ALLOW);
        for n in [
            libc::SYS_read,
            libc::SYS_openat,
            libc::SYS_execve,
            libc::SYS_mkdirat,
        ] {
            assert_eq!(call(n, 0), RET_ALLOW, "{n}");
        }
        // Another ABI would go around the numbers.
        assert_eq!(run(&f, 0x4000_0003, 0, 0), enosys);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            run(&f, AUDIT_ARCH, X32_SYSCALL_BIT | nr(libc::SYS_keyctl), 0),
            enosys
        );
    }
}
