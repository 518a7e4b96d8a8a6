#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Corpus.Callbacks
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void ProgressCallback(IntPtr context, int percent);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int CompareCallback(IntPtr left, IntPtr right);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int EnumCallback(IntPtr item, IntPtr userData);

    [StructLayout(LayoutKind.Sequential)]
    internal struct Hooks
    {
        public IntPtr OnOpen;
        public IntPtr OnClose;
    }

    internal static class NativeMethods
    {
        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_set_progress_callback(IntPtr player, ProgressCallback callback, IntPtr context);

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_register_hook(IntPtr hook);

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_unregister_hooks();

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_sort(IntPtr items, int count, CompareCallback compare);

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_sort_raw(IntPtr items, int count, IntPtr compare);

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int media_enumerate(EnumCallback callback, IntPtr userData);

        [DllImport("media", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void media_set_hooks(ref Hooks hooks);
    }

    /// <summary>Exceptions must not reach the native caller: they are kept and rethrown by managed code later.</summary>
    internal static class Callbacks
    {
        [ThreadStatic]
        internal static Exception? Pending;
    }

    internal static class Proxy
    {
        // The wrapper keeps what it registers, so callers may pass any delegate.
        private static readonly Dictionary<IntPtr, ProgressCallback> s_registered = new Dictionary<IntPtr, ProgressCallback>();

        internal static void SetProgress(IntPtr player, ProgressCallback callback)
        {
            s_registered[player] = callback;
            NativeMethods.media_set_progress_callback(player, callback, IntPtr.Zero);
        }
    }

    public sealed class Player
    {
        private readonly IntPtr _handle;
        private readonly ProgressCallback _progress;
        private ProgressCallback? _replacement;
        private GCHandle _pinnedHook;

        public Player(IntPtr handle)
        {
            _handle = handle;
            _progress = OnProgress;
            NativeMethods.media_set_progress_callback(_handle, _progress, IntPtr.Zero);
        }

        public int LastPercent { get; private set; }

        public void Replace(Action<int> report)
        {
            _replacement = (context, percent) => { try { report(percent); } catch (Exception e) { Callbacks.Pending = e; } };
            NativeMethods.media_set_progress_callback(_handle, _replacement, IntPtr.Zero);
        }

        public void ReplaceInPlace(Action<int> report)
            => NativeMethods.media_set_progress_callback(_handle, _replacement = (context, percent) => { try { report(percent); } catch (Exception e) { Callbacks.Pending = e; } }, IntPtr.Zero);

        public void ThroughProxy(Action<int> report) => Proxy.SetProgress(_handle, (context, percent) => { try { report(percent); } catch (Exception e) { Callbacks.Pending = e; } });

        public void Hook()
        {
            ProgressCallback hook = (context, percent) => LastPercent = percent;
            _pinnedHook = GCHandle.Alloc(hook);
            NativeMethods.media_register_hook(Marshal.GetFunctionPointerForDelegate(hook));
        }

        public void Unhook()
        {
            NativeMethods.media_unregister_hooks();
            if (_pinnedHook.IsAllocated)
            {
                _pinnedHook.Free();
            }
        }

        private void OnProgress(IntPtr context, int percent) => LastPercent = percent;
    }

    public static class Sorting
    {
        public static void Sort(IntPtr items, int count, bool descending)
        {
            // A delegate argument stays alive for the duration of the call; the sort is synchronous.
            NativeMethods.media_sort(items, count, (left, right) => left == right ? 0 : ((left.ToInt64() < right.ToInt64()) != descending ? -1 : 1));
        }

        public static void SortRaw(IntPtr items, int count, bool descending)
        {
            CompareCallback compare = (left, right) => left == right ? 0 : ((left.ToInt64() < right.ToInt64()) != descending ? -1 : 1);
            IntPtr fn = Marshal.GetFunctionPointerForDelegate(compare);
            NativeMethods.media_sort_raw(items, count, fn);
            GC.KeepAlive(compare);
        }

        public static void SortCached(IntPtr items, int count)
        {
            NativeMethods.media_sort_raw(items, count, Marshal.GetFunctionPointerForDelegate<CompareCallback>((left, right) => left == right ? 0 : (left.ToInt64() < right.ToInt64() ? -1 : 1)));
        }

        public static List<IntPtr> Enumerate()
        {
            var found = new List<IntPtr>();
            NativeMethods.media_enumerate((item, userData) => { try { found.Add(item); return 1; } catch (Exception e) { Callbacks.Pending = e; return 0; } }, IntPtr.Zero);
            return found;
        }
    }

    public static class Registration
    {
        private static ProgressCallback? s_progress;

        public static void Start(IntPtr player, Action<int> report)
        {
            s_progress = (context, percent) => { try { report(percent); } catch (Exception e) { Callbacks.Pending = e; } };
            NativeMethods.media_set_progress_callback(player, s_progress, IntPtr.Zero);
        }

        public static void StartStatic(IntPtr player)
        {
            NativeMethods.media_set_progress_callback(player, (context, percent) => { try { Console.WriteLine(percent); } catch (Exception e) { Callbacks.Pending = e; } }, IntPtr.Zero);
        }

        public static void StartWithHooks(Action opened)
        {
            ProgressCallback onOpen = (context, percent) => { try { opened(); } catch (Exception e) { Callbacks.Pending = e; } };
            var hooks = new Hooks { OnOpen = Marshal.GetFunctionPointerForDelegate(onOpen) };
            NativeMethods.media_set_hooks(ref hooks);
            GC.KeepAlive(onOpen);
        }
    }
}
