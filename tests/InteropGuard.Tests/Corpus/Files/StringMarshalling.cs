#nullable enable
using System;
using System.Runtime.InteropServices;
using System.Security;

namespace Corpus.Strings
{
    internal static class Native
    {
        [DllImport("textkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tk_measure(IntPtr ansiText);

        [DllImport("textkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tk_measure_utf16(IntPtr text);

        [DllImport("textkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tk_hash_utf8(IntPtr text);

        [DllImport("textkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tk_login(IntPtr user, IntPtr password);

        [DllImport("oleaut32.dll")]
        internal static extern uint SysStringLen(IntPtr bstr);
    }

    public static class Text
    {
        public static int Measure(string text)
        {
            IntPtr ansi = Marshal.StringToHGlobalAnsi(text);
            try
            {
                return Native.tk_measure(ansi);
            }
            finally
            {
                Marshal.FreeHGlobal(ansi);
            }
        }

        public static int MeasureWide(string text)
        {
            IntPtr wide = Marshal.StringToHGlobalUni(text);
            try
            {
                return Native.tk_measure_utf16(wide);
            }
            finally
            {
                Marshal.FreeHGlobal(wide);
            }
        }

        public static int Hash(string text)
        {
            IntPtr utf8 = Marshal.StringToCoTaskMemUTF8(text);
            try
            {
                return Native.tk_hash_utf8(utf8);
            }
            finally
            {
                Marshal.FreeCoTaskMem(utf8);
            }
        }

        public static uint BstrLength(string text)
        {
            IntPtr bstr = Marshal.StringToBSTR(text);
            try
            {
                return Native.SysStringLen(bstr);
            }
            finally
            {
                Marshal.FreeBSTR(bstr);
            }
        }

        public static bool Login(string user, SecureString password)
        {
            IntPtr nativeUser = Marshal.StringToCoTaskMemUni(user);
            IntPtr nativePassword = IntPtr.Zero;
            try
            {
                nativePassword = Marshal.SecureStringToGlobalAllocUnicode(password);
                return Native.tk_login(nativeUser, nativePassword) == 0;
            }
            finally
            {
                if (nativePassword != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(nativePassword);
                }

                Marshal.FreeCoTaskMem(nativeUser);
            }
        }

        public static int MeasureAll(string[] lines)
        {
            int total = 0;
            foreach (string line in lines)
            {
                IntPtr ansi = Marshal.StringToHGlobalAnsi(line);
                try
                {
                    total += Native.tk_measure(ansi);
                }
                finally
                {
                    Marshal.FreeHGlobal(ansi);
                }
            }

            return total;
        }

        public static int MeasureOptional(string? text)
        {
            IntPtr ansi = text == null ? IntPtr.Zero : Marshal.StringToHGlobalAnsi(text);
            try
            {
                return Native.tk_measure(ansi);
            }
            finally
            {
                if (ansi != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(ansi);
                }
            }
        }
    }
}
