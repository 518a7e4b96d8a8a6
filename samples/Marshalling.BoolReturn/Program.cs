using System;
using System.Runtime.InteropServices;

namespace Marshalling.BoolReturn
{
    internal static class Native
    {
        // bool igs_flag_false(void); returns the C bool false: 0 in the low byte of the return register, upper bytes not 0.
        [DllImport("igsample")]
        internal static extern bool igs_flag_false(); // IG4003 'igs_flag_false'

        // The same function seen as a 32-bit integer: the whole register, to show what the marshaller reads.
        [DllImport("igsample", EntryPoint = "igs_flag_false")]
        internal static extern uint igs_flag_register();
    }

    internal static class Program
    {
        private const int ExitWrongBool = 15;

        private static int Main()
        {
            uint register = Native.igs_flag_register();
            bool flag = Native.igs_flag_false();
            Console.WriteLine($"register=0x{register:x8}");
            if (flag)
            {
                Console.WriteLine("WRONG igs_flag_false=true");
                return ExitWrongBool;
            }

            Console.WriteLine("OK igs_flag_false=false");
            return 0;
        }
    }
}
