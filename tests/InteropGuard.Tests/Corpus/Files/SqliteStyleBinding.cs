#nullable enable
using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.SqliteStyle
{
    internal sealed class SafeDatabaseHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeDatabaseHandle() : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => NativeMethods.sqlite3_close_v2(handle) == NativeMethods.SQLITE_OK;
    }

    internal sealed class SafeStatementHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeStatementHandle() : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => NativeMethods.sqlite3_finalize(handle) == NativeMethods.SQLITE_OK;
    }

    internal static class NativeMethods
    {
        private const string Library = "e_sqlite3";

        internal const int SQLITE_OK = 0;
        internal const int SQLITE_ROW = 100;
        internal const int SQLITE_DONE = 101;
        internal const int SQLITE_OPEN_READWRITE = 0x2;
        internal const int SQLITE_OPEN_CREATE = 0x4;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_open_v2(IntPtr filename, out SafeDatabaseHandle db, int flags, IntPtr vfs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_close_v2(IntPtr db);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_prepare_v2(SafeDatabaseHandle db, IntPtr sql, int byteCount, out SafeStatementHandle statement, IntPtr tail);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_step(SafeStatementHandle statement);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_finalize(IntPtr statement);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_bind_int64(SafeStatementHandle statement, int index, long value);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sqlite3_bind_text(SafeStatementHandle statement, int index, IntPtr text, int byteCount, IntPtr destructor);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr sqlite3_column_text(SafeStatementHandle statement, int column);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long sqlite3_column_int64(SafeStatementHandle statement, int column);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr sqlite3_errmsg(SafeDatabaseHandle db);

        /// <summary>SQLITE_TRANSIENT: the library copies bound text before bind returns.</summary>
        internal static readonly IntPtr Transient = new IntPtr(-1);
    }

    public sealed class SqliteException : Exception
    {
        public SqliteException(int code, string message) : base(message)
        {
            Code = code;
        }

        public int Code { get; }
    }

    public sealed class Database : IDisposable
    {
        private readonly SafeDatabaseHandle _handle;

        private Database(SafeDatabaseHandle handle)
        {
            _handle = handle;
        }

        public static Database Open(string path)
        {
            IntPtr utf8Path = Marshal.StringToCoTaskMemUTF8(path);
            try
            {
                int rc = NativeMethods.sqlite3_open_v2(
                    utf8Path,
                    out SafeDatabaseHandle handle,
                    NativeMethods.SQLITE_OPEN_READWRITE | NativeMethods.SQLITE_OPEN_CREATE,
                    IntPtr.Zero);
                if (rc != NativeMethods.SQLITE_OK)
                {
                    string message = ErrorMessage(handle);
                    handle.Dispose();
                    throw new SqliteException(rc, message);
                }

                return new Database(handle);
            }
            finally
            {
                Marshal.FreeCoTaskMem(utf8Path);
            }
        }

        public Statement Prepare(string sql)
        {
            IntPtr utf8Sql = Marshal.StringToCoTaskMemUTF8(sql);
            try
            {
                int rc = NativeMethods.sqlite3_prepare_v2(_handle, utf8Sql, -1, out SafeStatementHandle statement, IntPtr.Zero);
                if (rc != NativeMethods.SQLITE_OK)
                {
                    statement.Dispose();
                    throw new SqliteException(rc, ErrorMessage(_handle));
                }

                return new Statement(statement);
            }
            finally
            {
                Marshal.FreeCoTaskMem(utf8Sql);
            }
        }

        public long ExecuteScalar(string sql)
        {
            using Statement statement = Prepare(sql);
            return statement.Step() ? statement.GetInt64(0) : 0;
        }

        private static string ErrorMessage(SafeDatabaseHandle handle) =>
            handle.IsInvalid ? "unable to open database" : Marshal.PtrToStringUTF8(NativeMethods.sqlite3_errmsg(handle)) ?? "unknown error";

        public void Dispose() => _handle.Dispose();
    }

    public sealed class Statement : IDisposable
    {
        private readonly SafeStatementHandle _handle;

        internal Statement(SafeStatementHandle handle)
        {
            _handle = handle;
        }

        public void Bind(int index, long value) => Check(NativeMethods.sqlite3_bind_int64(_handle, index, value));

        public void Bind(int index, string value)
        {
            IntPtr text = Marshal.StringToCoTaskMemUTF8(value);
            try
            {
                Check(NativeMethods.sqlite3_bind_text(_handle, index, text, -1, NativeMethods.Transient));
            }
            finally
            {
                Marshal.FreeCoTaskMem(text);
            }
        }

        public bool Step()
        {
            int rc = NativeMethods.sqlite3_step(_handle);
            if (rc == NativeMethods.SQLITE_ROW)
            {
                return true;
            }

            if (rc == NativeMethods.SQLITE_DONE)
            {
                return false;
            }

            throw new SqliteException(rc, "step failed");
        }

        public long GetInt64(int column) => NativeMethods.sqlite3_column_int64(_handle, column);

        public string? GetText(int column) => Marshal.PtrToStringUTF8(NativeMethods.sqlite3_column_text(_handle, column));

        public void Dispose() => _handle.Dispose();

        private static void Check(int rc)
        {
            if (rc != NativeMethods.SQLITE_OK)
            {
                throw new SqliteException(rc, "bind failed");
            }
        }
    }
}
