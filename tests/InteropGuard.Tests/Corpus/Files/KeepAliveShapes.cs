#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace Corpus.KeepAlive
{
    internal static class CanvasNative
    {
        [DllImport("canvas")]
        internal static extern int canvas_width(IntPtr canvas);

        [DllImport("canvas")]
        internal static extern int canvas_fill(HandleRef canvas, int color);

        [DllImport("canvas")]
        internal static extern void canvas_release(IntPtr canvas);

        internal static int Width(IntPtr canvas) => canvas_width(canvas);
    }

    /// <summary>Owns a native canvas and releases it from its finalizer; every caller keeps it alive past the call.</summary>
    internal sealed class Canvas : IDisposable
    {
        private IntPtr _canvas;

        internal Canvas(IntPtr canvas) => _canvas = canvas;

        internal IntPtr Handle => _canvas;

        ~Canvas() => Dispose(false);

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        private void Dispose(bool disposing)
        {
            if (_canvas != IntPtr.Zero)
            {
                CanvasNative.canvas_release(_canvas);
                _canvas = IntPtr.Zero;
            }
        }

        internal int Width()
        {
            int width = CanvasNative.canvas_width(_canvas);
            GC.KeepAlive(this);
            return width;
        }

        internal int Fill(int color) => CanvasNative.canvas_fill(new HandleRef(this, _canvas), color);

        internal int WidthInFinally()
        {
            try
            {
                return CanvasNative.canvas_width(_canvas);
            }
            finally
            {
                GC.KeepAlive(this);
            }
        }
    }

    internal static class CanvasUsers
    {
        private static readonly Canvas Shared = new Canvas(IntPtr.Zero);

        internal static int SharedWidth() => CanvasNative.canvas_width(Shared.Handle);

        internal static int Scoped(IntPtr raw)
        {
            using (var canvas = new Canvas(raw))
            {
                return CanvasNative.canvas_width(canvas.Handle);
            }
        }

        internal static int Declared(IntPtr raw)
        {
            using var canvas = new Canvas(raw);
            return CanvasNative.Width(canvas.Handle);
        }

        internal static int UsedAfter(Canvas canvas)
        {
            int width = CanvasNative.canvas_width(canvas.Handle);
            if (width < 0)
            {
                throw new InvalidOperationException("canvas_width failed");
            }

            return width + canvas.Width();
        }

        internal static async Task<int> AcrossAwait(Canvas canvas)
        {
            int width = CanvasNative.canvas_width(canvas.Handle);
            await Task.Yield();
            GC.KeepAlive(canvas);
            return width;
        }

        internal static IEnumerable<int> Widths(IReadOnlyList<Canvas> canvases)
        {
            foreach (var canvas in canvases)
            {
                int width = CanvasNative.canvas_width(canvas.Handle);
                GC.KeepAlive(canvas);
                yield return width;
            }
        }

        internal static void Logged(Canvas canvas) => Console.WriteLine(canvas.Handle);
    }

    /// <summary>A value type carrying a raw handle has no finalizer: nothing releases the handle behind the caller's back.</summary>
    internal readonly struct CanvasView
    {
        private readonly IntPtr _canvas;

        internal CanvasView(IntPtr canvas) => _canvas = canvas;

        internal int Width() => CanvasNative.canvas_width(_canvas);
    }
}
