#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.HandleOwners
{
    /// <summary>The SafeHandle form IG3007's fix produces: the handle owns the release.</summary>
    internal sealed class EngineContextHandle : SafeHandle
    {
        public EngineContextHandle() : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            EngineNative.engine_context_destroy(handle);
            return true;
        }
    }

    internal static class EngineNative
    {
        [DllImport("engine")]
        internal static extern EngineContextHandle engine_context_create(int flags);

        [DllImport("engine")]
        internal static extern void engine_context_destroy(IntPtr context);

        [DllImport("engine")]
        internal static extern int engine_context_run(EngineContextHandle context, int input);

        [DllImport("engine")]
        internal static extern IntPtr engine_runtime_init();

        [DllImport("engine")]
        internal static extern void engine_runtime_fini(IntPtr runtime);

        [DllImport("engine")]
        internal static extern IntPtr engine_default_context_get();

        [DllImport("engine")]
        internal static extern IntPtr engine_scratch_create();

        [DllImport("engine")]
        internal static extern void engine_scratch_destroy(IntPtr scratch);

        [DllImport("engine")]
        internal static extern void engine_scratch_fill(IntPtr scratch, int value);
    }

    public sealed class Engine : IDisposable
    {
        // Loaded once and kept for the life of the process; the library tears it down at exit.
        private static readonly IntPtr s_runtime = EngineNative.engine_runtime_init();

        private readonly EngineContextHandle _context;

        // Borrowed: the library owns the default context and has no release function for it.
        private readonly IntPtr _defaultContext;

        // Not a handle from an acquire function: a cursor the caller passes in.
        private IntPtr _lastInput;

        public Engine(int flags)
        {
            _context = EngineNative.engine_context_create(flags);
            if (_context.IsInvalid)
            {
                throw new InvalidOperationException("engine_context_create failed");
            }

            _defaultContext = EngineNative.engine_default_context_get();
        }

        public static bool RuntimeLoaded => s_runtime != IntPtr.Zero;

        public bool UsesDefault => _defaultContext != IntPtr.Zero;

        public int Run(int input, IntPtr cursor)
        {
            _lastInput = cursor;
            return EngineNative.engine_context_run(_context, input);
        }

        public IntPtr LastInput => _lastInput;

        // A handle that lives only in a method is released there; no field keeps it.
        public void Scratch(int value)
        {
            var scratch = EngineNative.engine_scratch_create();
            try
            {
                EngineNative.engine_scratch_fill(scratch, value);
            }
            finally
            {
                EngineNative.engine_scratch_destroy(scratch);
            }
        }

        public void Dispose() => _context.Dispose();
    }

    /// <summary>A struct view over a handle someone else owns.</summary>
    public readonly struct ContextView
    {
        private readonly IntPtr _context;

        public ContextView(IntPtr context)
        {
            _context = context;
        }

        public bool IsEmpty => _context == IntPtr.Zero;
    }
}
