using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// GLib's containers keep the pointers they are given (Interop/RetainingCatalogue): a string inserted into a hash table
    /// made with destroy functions is the table's to free (IG3001 silent), while one only passed to a function that
    /// reads it is still the caller's.
    /// </summary>
    public class RetainingContainerTests
    {
        private const string Source = @"using System;
using System.Runtime.InteropServices;

unsafe static class GLib
{
    private const string Library = ""libglib-2.0.so.0"";
    public delegate void Destroy(IntPtr data);

    [DllImport(Library)] public static extern IntPtr g_hash_table_new_full(IntPtr hash, IntPtr equal, Destroy keys, Destroy values);
    [DllImport(Library)] public static extern void g_hash_table_insert(IntPtr table, IntPtr key, IntPtr value);
    [DllImport(Library)] public static extern IntPtr g_list_append(IntPtr list, IntPtr data);
    [DllImport(Library)] public static extern uint g_str_hash(IntPtr text);
}

static class Queries
{
    private static readonly GLib.Destroy Free = Marshal.FreeHGlobal;

    public static IntPtr Build(IntPtr hash, IntPtr equal, string service, string account)
    {
        var table = GLib.g_hash_table_new_full(hash, equal, Free, Free);
        IntPtr key = Marshal.StringToHGlobalAnsi(""service"");
        IntPtr value = Marshal.StringToHGlobalAnsi(service);
        GLib.g_hash_table_insert(table, key, value);
        return table;
    }

    public static IntPtr Listed(IntPtr list, string name)
    {
        IntPtr data = Marshal.StringToHGlobalAnsi(name);
        return GLib.g_list_append(list, data);
    }

    public static uint Hashed(string name)
    {
        IntPtr text = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        return GLib.g_str_hash(text);
    }
}
";

        [Fact]
        public Task WhatAContainerKeepsIsNoLongerTheCallersToFree()
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Source };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Marshal.StringToHGlobalAnsi' in 'text' is not released by 'Marshal.FreeHGlobal' on the 'return GLib.g_str_hash(text)'"));
            return test.RunAsync();
        }
    }
}
