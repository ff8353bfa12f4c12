// Tables of kernel APIs the engine recognises: allocators (with the gfp argument position), atomic-region
// acquire/release pairs, memalloc scopes, sleeping calls, async hand-offs, callback registrations and the
// ops-table fields that make a function an I/O or filesystem root. One place to extend.
import type { ContextKind } from './types';
import { hasName, nameTable } from './nameTable';

/** Allocator name -> 0-based index of its gfp argument; -1 = implicit GFP_KERNEL (vmalloc family). */
export const ALLOCATORS: Record<string, number> = nameTable({
  kmalloc: 1, kzalloc: 1, kcalloc: 2, kmalloc_array: 2, kmalloc_node: 1, kzalloc_node: 1, kcalloc_node: 2,
  kmalloc_array_node: 3, krealloc: 2, krealloc_array: 3, kmalloc_track_caller: 1, kvrealloc: 2,
  kmem_cache_alloc: 1, kmem_cache_zalloc: 1, kmem_cache_alloc_node: 1, kmem_cache_alloc_lru: 2, kmem_cache_alloc_bulk: 1,
  mempool_alloc: 1, mempool_alloc_preallocated: -2,
  alloc_pages: 0, alloc_page: 0, alloc_pages_node: 1, alloc_pages_exact: 1, __alloc_pages: 0, __get_free_pages: 0,
  __get_free_page: 0, get_zeroed_page: 0, folio_alloc: 0, alloc_pages_exact_nid: 2, __folio_alloc: 0,
  vmalloc: -1, vzalloc: -1, vmalloc_node: -1, vzalloc_node: -1, vmalloc_user: -1, vmalloc_32: -1, vmalloc_array: -1,
  vcalloc: -1, __vmalloc: 1, __vmalloc_node: 2,
  kvmalloc: 1, kvzalloc: 1, kvcalloc: 2, kvmalloc_array: 2, kvmalloc_node: 1, kvzalloc_node: 1,
  bio_alloc: 3, bio_alloc_bioset: 3, bio_kmalloc: 1, bio_alloc_clone: 2, bio_clone_fast: 1,
  alloc_skb: 1, __alloc_skb: 1, alloc_skb_fclone: 1, skb_clone: 1, skb_copy: 1, pskb_copy: 1, skb_copy_expand: 3,
  pskb_expand_head: 3, skb_realloc_headroom: -2, __netdev_alloc_skb: 2, __napi_alloc_skb: 2,
  devm_kmalloc: 2, devm_kzalloc: 2, devm_kcalloc: 3, devm_kmalloc_array: 3, devm_kstrdup: 2, devm_kmemdup: 3,
  devm_kasprintf: 1,
  kstrdup: 1, kstrndup: 2, kmemdup: 2, kmemdup_nul: 2, kstrdup_const: 1, kasprintf: 0, kvasprintf: 0,
  kmemdup_array: 3,
  idr_preload: 0, idr_alloc: 4, idr_alloc_cyclic: 4, idr_alloc_u32: 4, ida_alloc: 1, ida_alloc_range: 3,
  ida_alloc_min: 2, ida_alloc_max: 2, ida_simple_get: 3,
  xa_store: 3, xa_insert: 3, xa_alloc: 4, xa_alloc_cyclic: 5, xa_cmpxchg: 4, xa_reserve: 2,
  xa_store_irq: 3, xa_store_bh: 3, xa_insert_irq: 3, xa_insert_bh: 3,
  radix_tree_preload: 0, radix_tree_maybe_preload: 0,
  dma_alloc_coherent: 3, dma_alloc_attrs: 3, dma_pool_alloc: 1, dma_pool_zalloc: 1, dmam_alloc_coherent: 3,
  sg_alloc_table: 2, sg_alloc_table_from_pages: 6, alloc_percpu_gfp: 1, __alloc_percpu_gfp: 2,
  kobject_uevent_env: -2, kfifo_alloc: 2, kthread_create_worker: -2,
  crypto_alloc_skcipher: -2, skcipher_request_alloc: 1, aead_request_alloc: 1, ahash_request_alloc: 1,
});

/** Functions whose names end like these are treated as *_noprof allocator spellings of the table above. */
export function allocatorGfpIndex(name: string, extra?: Record<string, number>): number | undefined {
  if (extra && hasName(extra, name) && extra[name] !== undefined) return extra[name];
  const idx = ALLOCATORS[name];
  if (idx !== undefined && idx !== -2) return idx;
  if (name.endsWith('_noprof')) {
    const base = ALLOCATORS[name.slice(0, -7)];
    if (base !== undefined && base !== -2) return base;
  }
  return undefined;
}

export type AtomicKind = 'spinlock' | 'rwlock' | 'irq' | 'bh' | 'preempt' | 'rcu' | 'bitlock' | 'seqlock' | 'preload' | 'locallock' | 'xa';

interface RegionApi { kind: AtomicKind; acquire: boolean; keyed: boolean }
const REGION: Record<string, RegionApi> = nameTable({});
function add(names: string[], kind: AtomicKind, acquire: boolean, keyed: boolean) {
  for (const n of names) REGION[n] = { kind, acquire, keyed };
}
const spinVariants = ['', '_irq', '_irqsave', '_bh', '_nested', '_irqsave_nested', '_nest_lock', '_bh_nested'];
for (const fam of ['spin', 'raw_spin']) {
  add(spinVariants.map((v) => `${fam}_lock${v}`), 'spinlock', true, true);
  add(['', '_irq', '_irqrestore', '_bh'].map((v) => `${fam}_unlock${v}`), 'spinlock', false, true);
}
for (const fam of ['read', 'write']) {
  add(spinVariants.map((v) => `${fam}_lock${v}`), 'rwlock', true, true);
  add(['', '_irq', '_irqrestore', '_bh'].map((v) => `${fam}_unlock${v}`), 'rwlock', false, true);
}
add(['xa_lock', 'xa_lock_irq', 'xa_lock_bh', 'xa_lock_irqsave', 'xas_lock', 'xas_lock_irq', 'xas_lock_bh', 'xas_lock_irqsave'], 'xa', true, true);
add(['xas_lock_type'], 'xa', true, true);
add(['xas_unlock_type'], 'xa', false, true);
add(['xa_unlock', 'xa_unlock_irq', 'xa_unlock_bh', 'xa_unlock_irqrestore', 'xas_unlock', 'xas_unlock_irq', 'xas_unlock_bh', 'xas_unlock_irqrestore'], 'xa', false, true);
add(['local_irq_disable', 'local_irq_save', 'raw_local_irq_disable', 'raw_local_irq_save', 'hard_irq_disable'], 'irq', true, false);
add(['local_irq_enable', 'local_irq_restore', 'raw_local_irq_enable', 'raw_local_irq_restore'], 'irq', false, false);
add(['local_bh_disable'], 'bh', true, false);
add(['local_bh_enable'], 'bh', false, false);
add(['preempt_disable', 'preempt_disable_notrace', 'get_cpu', 'get_cpu_ptr', 'get_cpu_var', 'migrate_disable_atomic'], 'preempt', true, false);
add(['preempt_enable', 'preempt_enable_notrace', 'preempt_enable_no_resched', 'sched_preempt_enable_no_resched', 'put_cpu', 'put_cpu_ptr', 'put_cpu_var'], 'preempt', false, false);
add(['rcu_read_lock', 'rcu_read_lock_bh', 'rcu_read_lock_sched', 'rcu_read_lock_sched_notrace'], 'rcu', true, false);
add(['rcu_read_unlock', 'rcu_read_unlock_bh', 'rcu_read_unlock_sched', 'rcu_read_unlock_sched_notrace'], 'rcu', false, false);
add(['bit_spin_lock'], 'bitlock', true, true);
add(['bit_spin_unlock', '__bit_spin_unlock'], 'bitlock', false, true);
add(['write_seqlock', 'write_seqlock_irq', 'write_seqlock_irqsave', 'write_seqlock_bh'], 'seqlock', true, true);
add(['write_sequnlock', 'write_sequnlock_irq', 'write_sequnlock_irqrestore', 'write_sequnlock_bh'], 'seqlock', false, true);
add(['idr_preload', 'radix_tree_preload', 'radix_tree_maybe_preload'], 'preload', true, false);
add(['idr_preload_end', 'radix_tree_preload_end'], 'preload', false, false);
add(['local_lock', 'local_lock_irq', 'local_lock_irqsave'], 'locallock', true, true);
add(['local_unlock', 'local_unlock_irq', 'local_unlock_irqrestore'], 'locallock', false, true);

export function regionApi(name: string): RegionApi | undefined { return REGION[name]; }

/** Lock/unlock helpers whose lock is not their first argument: name -> index of the lock argument. */
export const LOCK_ARG: Record<string, number> = nameTable({ pte_unmap_unlock: 1, pte_offset_map_lock: 3 });
add(['pte_offset_map_lock'], 'spinlock', true, true);
add(['pte_unmap_unlock'], 'spinlock', false, true);

/**
 * Acquirers that can fail and then hold nothing: `nonnull` ones return NULL on failure (pte_offset_map_lock),
 * `zero` ones return 0 on success (radix_tree_preload returns -ENOMEM with preemption still enabled).
 */
export const COND_ACQUIRE: Record<string, 'nonnull' | 'zero'> = nameTable({
  pte_offset_map_lock: 'nonnull', radix_tree_preload: 'zero', radix_tree_maybe_preload: 'zero',
});

/** Calls that never return: the path ends there (code after `BUG();` is not reached with the state before it). */
export const NORETURN = new Set([
  'BUG', 'panic', 'do_exit', 'kthread_exit', 'kthread_complete_and_exit', 'make_task_dead', 'unreachable',
  '__builtin_unreachable', '__builtin_trap', 'do_group_exit', 'machine_halt', 'machine_power_off', 'emergency_restart',
]);

/** Trylocks: atomic only on the success branch. */
export const TRYLOCKS = new Set([
  'spin_trylock', 'spin_trylock_irq', 'spin_trylock_irqsave', 'spin_trylock_bh', 'raw_spin_trylock',
  'raw_spin_trylock_irqsave', 'read_trylock', 'write_trylock', 'bit_spin_trylock', 'write_tryseqlock',
]);

/** Guard classes (guard(x)(...), scoped_guard(x, ...)) that make the region atomic. */
export function atomicGuard(kind: string): AtomicKind | undefined {
  if (/^(raw_)?spinlock/.test(kind)) return 'spinlock';
  if (/^(read|write)_lock/.test(kind)) return 'rwlock';
  if (kind === 'rcu') return 'rcu';
  if (kind === 'preempt' || kind === 'preempt_notrace' || kind === 'migrate') return kind === 'migrate' ? undefined : 'preempt';
  if (kind === 'irq' || kind === 'irqsave') return 'irq';
  if (kind === 'local_lock' || kind === 'local_lock_irq' || kind === 'local_lock_irqsave') return 'locallock';
  if (kind === 'bh') return 'bh';
  return undefined;
}

export type ScopeKind = 'noio' | 'nofs';
export function scopeSave(name: string): ScopeKind | undefined {
  if (name === 'memalloc_noio_save') return 'noio';
  if (name === 'memalloc_nofs_save') return 'nofs';
  return undefined;
}
export function scopeRestore(name: string): ScopeKind | undefined {
  if (name === 'memalloc_noio_restore') return 'noio';
  if (name === 'memalloc_nofs_restore') return 'nofs';
  return undefined;
}

/** Calls that may sleep but are not allocations. */
export const SLEEPING_CALLS = new Set([
  'mutex_lock', 'mutex_lock_interruptible', 'mutex_lock_killable', 'mutex_lock_nested', 'mutex_lock_io',
  'down', 'down_interruptible', 'down_killable', 'down_timeout', 'down_read', 'down_write', 'down_read_killable',
  'down_write_killable', 'down_read_interruptible', 'msleep', 'msleep_interruptible', 'ssleep', 'usleep_range',
  'fsleep', 'schedule', 'schedule_timeout', 'schedule_timeout_interruptible', 'schedule_timeout_uninterruptible',
  'schedule_timeout_killable', 'io_schedule', 'io_schedule_timeout', 'wait_for_completion',
  'wait_for_completion_interruptible', 'wait_for_completion_timeout', 'wait_for_completion_killable',
  'wait_for_completion_io', 'wait_for_completion_interruptible_timeout', 'wait_event', 'wait_event_interruptible',
  'wait_event_timeout', 'wait_event_killable', 'wait_event_interruptible_timeout', 'vfree', 'kvfree_sync',
  'copy_from_user', 'copy_to_user', 'flush_work', 'flush_workqueue', 'flush_delayed_work', 'cancel_work_sync',
  'cancel_delayed_work_sync', 'synchronize_rcu', 'synchronize_srcu', 'synchronize_net', 'synchronize_irq',
  'kthread_stop', 'cond_resched', 'might_sleep', 'rcu_barrier', 'drain_workqueue', 'destroy_workqueue',
  'flush_scheduled_work', 'wait_on_bit', 'wait_on_page_locked',
  'folio_lock', 'lock_page', 'lock_sock', 'rtnl_lock', 'usleep_range_state', 'msleep_interruptible',
]);

/** Async hand-offs: the callee runs later in another context. fnArg: which argument is the function (or -1 for work items). */
export interface HandoffApi { fnArg: number; workArg?: number; atomic: boolean; label: string }
export const HANDOFFS: Record<string, HandoffApi> = nameTable({
  queue_work: { fnArg: -1, workArg: 1, atomic: false, label: 'workqueue' },
  queue_work_on: { fnArg: -1, workArg: 2, atomic: false, label: 'workqueue' },
  schedule_work: { fnArg: -1, workArg: 0, atomic: false, label: 'workqueue' },
  queue_delayed_work: { fnArg: -1, workArg: 1, atomic: false, label: 'workqueue' },
  mod_delayed_work: { fnArg: -1, workArg: 1, atomic: false, label: 'workqueue' },
  schedule_delayed_work: { fnArg: -1, workArg: 0, atomic: false, label: 'workqueue' },
  queue_rcu_work: { fnArg: -1, workArg: 1, atomic: false, label: 'workqueue' },
  kthread_queue_work: { fnArg: -1, workArg: 1, atomic: false, label: 'kthread worker' },
  kthread_run: { fnArg: 0, atomic: false, label: 'kthread' },
  kthread_create: { fnArg: 0, atomic: false, label: 'kthread' },
  kthread_run_on_cpu: { fnArg: 0, atomic: false, label: 'kthread' },
  kthread_create_on_node: { fnArg: 0, atomic: false, label: 'kthread' },
  async_schedule: { fnArg: 0, atomic: false, label: 'async' },
});

/** Work-item initialisers: INIT_WORK(&x->field, fn). */
export const WORK_INIT: Record<string, { workArg: number; fnArg: number }> = nameTable({
  INIT_WORK: { workArg: 0, fnArg: 1 }, INIT_DELAYED_WORK: { workArg: 0, fnArg: 1 }, INIT_WORK_ONSTACK: { workArg: 0, fnArg: 1 },
  INIT_DEFERRABLE_WORK: { workArg: 0, fnArg: 1 }, INIT_RCU_WORK: { workArg: 0, fnArg: 1 }, kthread_init_work: { workArg: 0, fnArg: 1 },
  DECLARE_WORK: { workArg: 0, fnArg: 1 }, DECLARE_DELAYED_WORK: { workArg: 0, fnArg: 1 },
});

/** Registrations whose callback runs in atomic context (arg index of the callback). */
export const ATOMIC_REGISTRATIONS: Record<string, { fnArg: number; label: string }> = nameTable({
  request_irq: { fnArg: 1, label: 'hard-irq handler' },
  devm_request_irq: { fnArg: 2, label: 'hard-irq handler' },
  request_threaded_irq: { fnArg: 1, label: 'primary (hard-irq) handler' },
  devm_request_threaded_irq: { fnArg: 2, label: 'primary (hard-irq) handler' },
  request_any_context_irq: { fnArg: 1, label: 'irq handler' },
  request_percpu_irq: { fnArg: 1, label: 'per-cpu irq handler' },
  request_nmi: { fnArg: 1, label: 'NMI handler' },
  timer_setup: { fnArg: 1, label: 'timer callback' },
  hrtimer_setup: { fnArg: 1, label: 'hrtimer callback' },
  hrtimer_setup_on_stack: { fnArg: 1, label: 'hrtimer callback' },
  timer_setup_on_stack: { fnArg: 1, label: 'timer callback' },
  setup_timer: { fnArg: 1, label: 'timer callback' },
  tasklet_setup: { fnArg: 1, label: 'tasklet' },
  tasklet_init: { fnArg: 1, label: 'tasklet' },
  call_rcu: { fnArg: 1, label: 'RCU callback' },
  call_rcu_hurry: { fnArg: 1, label: 'RCU callback' },
  call_srcu: { fnArg: 2, label: 'SRCU callback' },
  netif_napi_add: { fnArg: 2, label: 'NAPI poll (softirq)' },
  netif_napi_add_weight: { fnArg: 2, label: 'NAPI poll (softirq)' },
  netif_napi_add_tx: { fnArg: 2, label: 'NAPI poll (softirq)' },
  init_irq_work: { fnArg: 1, label: 'irq_work callback' },
  open_softirq: { fnArg: 1, label: 'softirq action' },
});

/** Functions that are hand-offs to process context (the callback is NOT atomic), recorded as hand-off edges. */
export const PROCESS_REGISTRATIONS: Record<string, { fnArg: number; label: string }> = nameTable({
  request_threaded_irq: { fnArg: 2, label: 'threaded irq handler (process context)' },
  devm_request_threaded_irq: { fnArg: 3, label: 'threaded irq handler (process context)' },
});

/** Ops-table fields whose functions start a context. Key: field name; struct: expected struct type (if known). */
export interface FieldRoot { field: string; structs: string[]; kind: ContextKind; label: string }
export const FIELD_ROOTS: FieldRoot[] = [
  { field: 'map', structs: ['target_type'], kind: 'noio', label: 'device-mapper .map (block I/O path)' },
  { field: 'end_io', structs: ['target_type'], kind: 'noio', label: 'device-mapper .end_io (block I/O completion)' },
  { field: 'clone_and_map_rq', structs: ['target_type'], kind: 'noio', label: 'device-mapper .clone_and_map_rq' },
  { field: 'submit_bio', structs: ['block_device_operations'], kind: 'noio', label: '.submit_bio (block I/O submission)' },
  { field: 'queue_rq', structs: ['blk_mq_ops'], kind: 'noio', label: 'blk-mq .queue_rq (block I/O submission)' },
  { field: 'queue_rqs', structs: ['blk_mq_ops'], kind: 'noio', label: 'blk-mq .queue_rqs (block I/O submission)' },
  { field: 'writepage', structs: ['address_space_operations'], kind: 'nofs', label: '.writepage (writeback)' },
  { field: 'writepages', structs: ['address_space_operations'], kind: 'nofs', label: '.writepages (writeback)' },
  { field: 'function', structs: ['hrtimer'], kind: 'atomic', label: 'hrtimer callback' },
];

/**
 * Filesystem transaction regions: start call -> end calls. Calls in between are NOFS-required.
 * (jbd2/ext4 and XFS transactions are not listed here: their start sets a memalloc_nofs scope itself,
 * see NOFS_SCOPE_REGIONS.)
 */
export const NOFS_REGIONS: Record<string, string[]> = nameTable({
  btrfs_start_transaction: ['btrfs_end_transaction', 'btrfs_commit_transaction'],
  btrfs_join_transaction: ['btrfs_end_transaction', 'btrfs_commit_transaction'],
});

/** Transaction starts that open a NOFS scope for the task (jbd2 start_this_handle, xfs_trans_set_context). */
export const NOFS_SCOPE_REGIONS: Record<string, string[]> = nameTable({
  jbd2_journal_start: ['jbd2_journal_stop'], jbd2__journal_start: ['jbd2_journal_stop'],
  ext4_journal_start: ['ext4_journal_stop'], __ext4_journal_start: ['__ext4_journal_stop', 'ext4_journal_stop'],
  ext4_journal_start_sb: ['ext4_journal_stop'], ext4_journal_start_with_reserve: ['ext4_journal_stop'],
  xfs_trans_alloc: ['xfs_trans_commit', 'xfs_trans_cancel'], xfs_trans_alloc_inode: ['xfs_trans_commit', 'xfs_trans_cancel'],
  xfs_trans_alloc_empty: ['xfs_trans_cancel'],
});

/** Sets the "may sleep" bit on a crypto request: *_request_set_callback(req, flags, ...). */
export function requestFlagSetter(name: string): boolean {
  return /_request_set_callback$/.test(name);
}
