using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Framework calls and creations that fail only by running out of memory, or on an argument bug that the shape of the
    /// call excludes. An <c>OutOfMemoryException</c> can come from any allocation, field access of a boxed value or JIT
    /// of a method; a path to release on it is not what a leak or escape report is about, so these are not throw points:
    /// <list type="bullet">
    /// <item><c>Math.Max</c>/<c>Min</c>;</item>
    /// <item>growing, shrinking or copying out a collection or a builder: <c>List&lt;T&gt;.Add</c>/<c>Remove(item)</c>/<c>ToArray()</c>, <c>Queue&lt;T&gt;.Enqueue</c>,
    /// <c>Stack&lt;T&gt;.Push</c>, <c>HashSet&lt;T&gt;.Add</c>/<c>Remove</c>/<c>Contains</c>, one-argument
    /// <c>StringBuilder.Append</c>/<c>AppendLine</c>;</item>
    /// <item>dictionary lookups keyed by a non-nullable value type (<c>TryGetValue</c>, <c>ContainsKey</c>,
    /// <c>Remove</c>): the only argument check is for a null key; also with a reference-type key the code dereferenced on
    /// the way to the call (<see cref="DereferencedBefore"/>);</item>
    /// <item>the same lookups and <c>Remove</c> on a <c>SortedDictionary</c> or <c>SortedList</c> keyed by a number or an enum,
    /// whose default comparer orders any two keys;</item>
    /// <item><c>ThreadPool.QueueUserWorkItem</c>/<c>UnsafeQueueUserWorkItem</c> of a delegate that is not null: made on the
    /// spot, a local declared with one, a value tested on the way, or a <c>static readonly</c> field its declaration fills with
    /// one (<see cref="TypeInitializedDelegates"/>);</item>
    /// <item><c>new WeakReference(target)</c> and <c>new WeakReference&lt;T&gt;(target)</c>, with or without the resurrection flag;</item>
    /// <item><c>Exception.GetBaseException()</c> and <c>Exception.ToString()</c>: a handler reading what it caught;</item>
    /// <item><c>Queue.Dequeue</c>/<c>Peek</c> and <c>Stack.Pop</c>/<c>Peek</c> only where a test of the same collection's
    /// <c>Count</c> shows it is not empty (<c>q.Count == 0 || q.Peek() ...</c>, <c>while (q.Count &gt;= n) q.Dequeue();</c>)
    /// and nothing else in the guarded code removes from it;</item>
    /// <item><c>Enum.HasFlag</c> with a flag of the receiver's own enum type (it throws only for a different type);</item>
    /// <item>decoding with a framework encoding whose default fallback replaces instead of throwing
    /// (<c>Encoding.UTF8</c>, <c>ASCII</c>, <c>Unicode</c>, <c>BigEndianUnicode</c>, <c>UTF32</c>, <c>Latin1</c>):
    /// <c>GetString</c> of a whole array or span, of a pointer and a count, or of an array from its start by the count native
    /// code reported for it in the same struct (<see cref="DescribedBuffers"/>), and <c>new string(bytes, start, length,
    /// encoding)</c> over a pointer — also through a static readonly field holding a lax <c>UTF8Encoding</c>, and through a
    /// parameter of a helper whose caller passes such an encoding (<see cref="ThrowOrigins"/>), and through an instance
    /// member the compilation only fills with one (<see cref="ReplacingEncodingMembers"/>);</item>
    /// <item><c>GetChars(bytes, n, chars, n)</c> over pointers with one of those encodings: no byte decodes to more than one
    /// char, so a destination as long as the source is long enough (FNA's <c>UTF8_ToManaged</c>);</item>
    /// <item><c>new string(chars)</c> of a char array, and <c>new string(p)</c>/<c>new string(p, start, length)</c> of a
    /// <c>char*</c>: a copy of memory the caller holds, like <c>Marshal.PtrToStringUni</c>;</item>
    /// <item><c>TimeSpan.FromMilliseconds</c>/<c>FromSeconds</c>/<c>FromMinutes</c> of a 32-bit integer (no such value
    /// overflows a TimeSpan) and <c>TimeSpan.FromTicks</c>;</item>
    /// <item>parameterless creations of framework collections, <c>StringBuilder</c>, <c>object</c> and
    /// <c>EventArgs</c>, and the implicit <c>: base()</c> into <c>object</c>/<c>EventArgs</c>; <c>new KeyValuePair&lt;K, V&gt;(key, value)</c>,
    /// which stores the two values; collections and
    /// <c>StringBuilder</c> made with a capacity that is a constant of at least zero or a value shown positive
    /// (<see cref="PositiveValues"/>), since only a negative capacity throws;</item>
    /// <item><c>ArgumentNullException.ThrowIfNull</c> of a value that cannot be null there (a constant, a parameter every
    /// caller being judged fills with one, a value dereferenced on the way);</item>
    /// <item><c>Dictionary.Add</c> of a key a lookup of the same dictionary has just shown absent
    /// (<c>if (!d.TryGetValue(k, out v)) { ...; d.Add(k, v); }</c>);</item>
    /// <item>the constructors of the framework's handle bases (<c>SafeHandle</c>, <c>CriticalHandle</c> and their
    /// <c>…ZeroOrMinusOneIsInvalid</c>/<c>…MinusOneIsInvalid</c> subclasses) reached through a binding's <c>: base(…)</c>,
    /// and <c>SetHandle</c>: they store the value and the ownership flag;</item>
    /// <item><c>new TaskCompletionSource(...)</c> with constant options (an invalid constant fails on every run, in the
    /// first test) or a state object;</item>
    /// <item><c>new Guid(bytes)</c> of an array created with exactly 16 elements;</item>
    /// <item><c>new StackTrace()</c> of the calling thread, with a flag and a constant count of frames to skip of at least
    /// zero (a memory tracker's allocation hook records where it was called from);</item>
    /// <item><c>new UTF8Encoding(...)</c>, <c>UnicodeEncoding</c>, <c>UTF32Encoding</c> and <c>ASCIIEncoding</c> with constant
    /// flags;</item>
    /// <item>platform tests: <c>RuntimeInformation.IsOSPlatform</c>, <c>OperatingSystem.Is...</c> with constant arguments,
    /// and <c>OSPlatform.Create</c> of a constant non-empty name;</item>
    /// <item><c>GC.AddMemoryPressure</c>/<c>RemoveMemoryPressure</c> of an amount shown positive (<see cref="PositiveValues"/>);
    /// the amount's check is their only failure in a 64-bit process;</item>
    /// <item><c>Nullable.GetValueOrDefault()</c>, which the control-flow graph writes to unwrap <c>a?.b() ?? c</c>;</item>
    /// <item><c>object.GetType</c>, <c>Type.GetElementType</c>, <c>Type.GetTypeCode(type)</c>, <c>string.Concat</c> of up to four values,
    /// <c>string.Replace(char, char)</c> and <c>string.Replace(string, string)</c> of a non-empty constant, <c>string.Trim</c>/<c>TrimStart</c>/<c>TrimEnd</c>, <c>string.IsNullOrEmpty</c>/<c>IsNullOrWhiteSpace</c>,
    /// <c>MethodBase.GetParameters()</c>, <c>Uri.ToString()</c>, <c>string.Format</c> of a fixed format (a constant, a static
    /// read-only field, a resource accessor) with string and primitive arguments,
    /// <c>WeakReference&lt;T&gt;.TryGetTarget</c>/<c>SetTarget</c>,
    /// <c>Span.Clear</c>/<c>Fill</c>/<c>ToArray()</c> (and a read-only span's <c>ToArray()</c>),
    /// a one-argument <c>GCHandle.Alloc</c> (a normal handle), <c>Marshal.GetLastWin32Error</c> and its siblings, <c>Marshal.UnsafeAddrOfPinnedArrayElement</c> of an
    /// array that is there, <c>Marshal.GetFunctionPointerForDelegate</c> of a delegate
    /// made on the spot (never null, never generic), also through a local declared with one and never written again, or of a value of a
    /// delegate type that is not generic tested against null on the way (<see cref="MarshalableDelegates"/>) or a <c>readonly</c> field the
    /// constructor making the call filled with one before it (<see cref="ConstructorMadeDelegates"/>), and encoding a string (<c>GetBytes</c>/<c>GetByteCount</c>) with one of
    /// the replacing framework encodings.</item>
    /// </list>
    /// Still counted, because real input reaches them: parsing, indexers and element access with an unchecked index,
    /// dictionary indexer reads, lookups keyed by a reference type that may be null, <c>Dequeue</c> on a queue nobody
    /// tested, decoding with an encoding passed in (its fallback may throw), casts.
    /// </summary>
    internal static class InfallibleCalls
    {
        // A span's ToArray() is a new array as long as the span and a copy into it: like a list's ToArray(), it can only
        // run out of memory (a span's length is never negative), so a native block read out this way before its release
        // owes nothing on that line.
        private static bool IsSpanCopyOut(string name, IInvocationOperation invocation)
            => name == "ToArray" && invocation.Instance != null && invocation.Arguments.IsEmpty;

        /// <param name="invocation">The call.</param>
        /// <param name="stable">The body's stable values.</param>
        /// <param name="original">Maps a control-flow graph's copy of a call back to the bound tree, where the conditions
        /// around it can be read; null when it cannot.</param>
        /// <param name="replacingParameter">Which parameters of the body hold a replacing encoding (its callers pass one);
        /// null when none is known to.</param>
        /// <param name="describedParameter">Which parameters of the body hold an array and the count describing it, filled by
        /// the caller from one native struct (<see cref="DescribedBuffers"/>); null when none do.</param>
        /// <param name="nonNullParameter">Which parameters of the body every caller whose call is being judged fills with a
        /// value that is not null (a string literal); null when none is known to.</param>
        public static bool IsInfallible(IInvocationOperation invocation, StableValues stable, System.Func<IInvocationOperation, IInvocationOperation?> original, System.Func<IParameterSymbol, bool>? replacingParameter = null, System.Func<IParameterSymbol, bool>? describedParameter = null, System.Func<IParameterSymbol, bool>? nonNullParameter = null, System.Func<ISymbol, bool>? replacingMember = null)
        {
            var method = invocation.TargetMethod;
            var type = method.ContainingType;
            if (type == null)
            {
                return false;
            }

            var name = method.Name;
            switch (FullName(type))
            {
                case "System.Collections.Generic.List":
                case "System.Collections.Generic.HashSet":
                    return IsInfallibleCollectionMember(FullName(type), name, invocation.Arguments.Length);
                case "System.Math":
                    return name == "Max" || name == "Min" || UncheckedMath.IsUnchecked(method);
                case "System.MathF":
                case "System.Numerics.Vector2":
                case "System.Numerics.Vector3":
                case "System.Numerics.Vector4":
                case "System.Numerics.Quaternion":
                case "System.Numerics.Plane":
                case "System.Numerics.Matrix3x2":
                case "System.Numerics.Matrix4x4":
                    return UncheckedMath.IsUnchecked(method);
                case "System.Nullable":
                    // The unwrapping the CFG writes for 'a?.b() ?? c' and 'x ?? y': reads the value or the default.
                    return (name == "GetValueOrDefault" || name == "get_HasValue") && invocation.Arguments.IsEmpty;
                case "System.Collections.Generic.Queue":
                    return name == "Enqueue" || name == "Clear" || name == "Contains"
                           || ((name == "Peek" || name == "Dequeue") && IsCountGuarded(original(invocation), stable));
                case "System.Collections.Generic.Stack":
                    return name == "Push" || name == "Clear" || name == "Contains"
                           || ((name == "Peek" || name == "Pop") && IsCountGuarded(original(invocation), stable));
                case "System.Collections.Generic.Dictionary":
                    return ((name == "TryGetValue" || name == "ContainsKey" || name == "Remove")
                            && type.TypeArguments.Length == 2
                            && (IsNonNullableValueType(type.TypeArguments[0]) || IsDereferencedKey(original(invocation), stable)))
                           || (name == "Add" && IsAbsentKeyGuarded(original(invocation), stable))
                           || (name == "Clear" && invocation.Arguments.IsEmpty);
                case "System.Collections.Generic.SortedDictionary":
                case "System.Collections.Generic.SortedList":
                    // As for Dictionary: a null key is the only argument refused, and the default comparer of a number or an
                    // enum orders any two values (a struct without IComparable would make it throw).
                    return (name == "TryGetValue" || name == "ContainsKey" || name == "Remove")
                           && invocation.Arguments.Length is 1 or 2 && type.TypeArguments.Length == 2 && IsDefaultOrdered(type.TypeArguments[0]);
                case "System.Exception":
                    // What a handler reads of the exception it caught: GetBaseException walks InnerException, ToString
                    // formats the message and stack trace; neither validates anything.
                    return (name == "GetBaseException" || name == "ToString") && invocation.Arguments.IsEmpty;
                case "System.Text.StringBuilder":
                    return ((name == "Append" || name == "AppendLine") && invocation.Arguments.Length <= 1)
                           || ((name == "ToString" || name == "Clear") && invocation.Arguments.Length == 0);
                case "System.Enum":
                    // Enum.TryParse<TEnum>(text, out value) over a concrete enum answers false for null or unknown text; it
                    // throws only when TEnum is not an enum, which a concrete enum type argument rules out.
                    if (name == "TryParse" && invocation.TargetMethod.TypeArguments.Length == 1)
                    {
                        return invocation.TargetMethod.TypeArguments[0].TypeKind == TypeKind.Enum;
                    }

                    if (name == "IsDefined")
                    {
                        return IsDefinedOfMatchingValue(invocation);
                    }

                    return name == "HasFlag" && invocation.Instance != null && invocation.Arguments.Length == 1
                           && OperationTree.SkipConversions(invocation.Instance).Type is { TypeKind: TypeKind.Enum } own
                           && SymbolEqualityComparer.Default.Equals(own, OperationTree.SkipConversions(invocation.Arguments[0].Value).Type);
                case "System.Threading.ThreadPool":
                    // Queueing a delegate checks only that it is not null (the work item is a new object on the pool's
                    // queue); the overload taking an IThreadPoolWorkItem also refuses a Task, so it is not read here.
                    return name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem"
                           && method.Parameters.Length >= 1 && method.Parameters[0].Type.TypeKind == TypeKind.Delegate
                           && OperationTree.ArgumentValue(invocation, 0) is { } callback
                           && (IsNewDelegate(callback) || HoldsNewDelegate(callback, stable, original(invocation)?.SemanticModel)
                               || DereferencedBefore.HoldsForArgument(original(invocation), 0, stable)
                               || TypeInitializedDelegates.Holds(callback, original(invocation)));
                case "System.Threading.Thread":
                    // Thread.Sleep(20): a constant timeout of zero or more, or Infinite, is valid; the one exception left,
                    // ThreadInterruptedException, needs another thread to call Interrupt on this very thread object.
                    return name == "Sleep" && invocation.Arguments.Length == 1
                           && OperationTree.SkipConversions(invocation.Arguments[0].Value).ConstantValue is { HasValue: true, Value: int timeout } && timeout >= -1;
                case "System.Text.Encoding":
                case "System.Text.UTF8Encoding":
                    // UTF8Encoding overrides the members it is called through when the receiver is typed as one.
                    return invocation.Instance != null
                           && (IsReplacingEncoding(invocation.Instance, replacingParameter, replacingMember) || MeasuredDecoders.IsReplacingLocal(invocation.Instance, stable))
                           && ((name is "GetString" or "GetCharCount"
                                && (invocation.Arguments.Length == 1
                                    || (invocation.Arguments.Length == 2 && invocation.Arguments[0].Value.Type is IPointerTypeSymbol)
                                    || (invocation.Arguments.Length == 3 && invocation.Arguments[1].Value.ConstantValue is { HasValue: true, Value: 0 }
                                        && DescribedBuffers.Describes(invocation.Arguments[0].Value, invocation.Arguments[2].Value, stable, describedParameter))))
                               || ((name == "GetBytes" || name == "GetByteCount") && invocation.Arguments.Length == 1
                                   && invocation.Arguments[0].Value.Type?.SpecialType == SpecialType.System_String)
                               || (name == "GetChars" && IsDecodingIntoAsManyChars(invocation, stable))
                               // A replacing encoding's decoder: a new object that replaces as its encoding does.
                               || (name == "GetDecoder" && invocation.Arguments.IsEmpty));
                case "System.Text.Decoder":
                    return MeasuredDecoders.IsIntoMeasuredChars(
                        invocation, stable, encoding => IsReplacingEncoding(encoding, replacingParameter, replacingMember) || MeasuredDecoders.IsReplacingLocal(encoding, stable));
                case "System.TimeSpan":
                    return name == "FromTicks"
                           || ((name == "FromMilliseconds" || name == "FromSeconds" || name == "FromMinutes") && invocation.Arguments.Length == 1
                               && IsAtMost32BitInteger(OperationTree.SkipConversions(invocation.Arguments[0].Value).Type));
                case "System.Object":
                    // ReferenceEquals compares two references, null or not; GetType of a receiver already read cannot fail.
                    return (method.MethodKind == MethodKind.Constructor && invocation.Arguments.Length == 0) || name == "GetType" || name == "ReferenceEquals";
                case "System.EventArgs":
                    return method.MethodKind == MethodKind.Constructor && invocation.Arguments.Length == 0;
                case "System.Type":
                    // Type.GetTypeCode(t) answers TypeCode.Empty for null and Object for any type it does not name.
                    return (name == "GetElementType" && invocation.Arguments.Length == 0) || (name == "GetTypeCode" && method.IsStatic);
                case "System.String":
                    return (name == "Concat" && invocation.Arguments.Length <= 4 && !method.Parameters.Any(p => p.Type is IArrayTypeSymbol || p.Type.Name == "IEnumerable"))
                           || (name == "Replace" && method.Parameters.Length == 2 && method.Parameters[0].Type.SpecialType == SpecialType.System_Char)
                           || IsReplacingConstantText(invocation)
                           || (IsStringSearch(invocation) && IsNeverNull(invocation.Arguments[0].Value, stable, nonNullParameter))
                           // Trimming only removes characters from the ends; a null set of characters means white space.
                           || (name is "Trim" or "TrimStart" or "TrimEnd" && invocation.Instance != null)
                           // The null-or-empty tests accept null: they are how code avoids the throw.
                           || (name is "IsNullOrEmpty" or "IsNullOrWhiteSpace" && invocation.Instance == null)
                           || (name == "Format" && IsFixedFormatOfPlainValues(invocation));
                case "System.Reflection.MethodBase":
                    // A copy of the parameter list the runtime already loaded with the method (JavaScriptEngineSwitcher
                    // reads it before converting a script's arguments for a host delegate).
                    return name == "GetParameters" && invocation.Arguments.IsEmpty;
                case "System.Diagnostics.Stopwatch":
                    // Reading the clock and setting the watch's own state: a handler that pauses an update timer while
                    // the user drags a window (OpenTK's GameWindow) cannot fail.
                    return (name is "Start" or "Stop" or "Restart" or "Reset" or "StartNew" or "GetTimestamp") && invocation.Arguments.IsEmpty;
                case "System.WeakReference":
                    // Reading or replacing the target of a weak reference validates nothing.
                    return name is "TryGetTarget" or "SetTarget";
                case "System.Uri":
                    // The text the Uri was made from, in its canonical form: the constructor already validated it.
                    return name == "ToString" && invocation.Arguments.IsEmpty;
                case "System.Span":
                    return ((name == "Clear" || name == "Fill") && invocation.Instance != null)
                           || IsSpanCopyOut(name, invocation)
                           || (name == "CopyTo" && SizedSpanCopies.IsIntoRoomEnough(original(invocation), stable));
                case "System.ReadOnlySpan":
                    return IsSpanCopyOut(name, invocation) || (name == "CopyTo" && SizedSpanCopies.IsIntoRoomEnough(original(invocation), stable));
                case "System.ArgumentNullException":
                    // The check of an argument that cannot be null here: a constant, a parameter every caller judged fills,
                    // or a value dereferenced on the way (DereferencedBefore).
                    return name == "ThrowIfNull" && invocation.Arguments.Length >= 1
                           && (IsNeverNull(invocation.Arguments[0].Value, stable, nonNullParameter)
                               || DereferencedBefore.HoldsForArgument(original(invocation), 0, stable));
                case "System.Runtime.InteropServices.RuntimeInformation":
                    // Platform tests compare against what the runtime already knows.
                    return name == "IsOSPlatform";
                case "System.OperatingSystem":
                    return name.StartsWith("Is", System.StringComparison.Ordinal) && invocation.Arguments.All(a => a.Value.ConstantValue is { HasValue: true, Value: not null });
                case "System.Runtime.InteropServices.OSPlatform":
                    return name == "Create" && invocation.Arguments.Length == 1 && invocation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string { Length: > 0 } };
                case "System.GC":
                    // The amount's check is the only failure of the memory-pressure hints.
                    return (name == "AddMemoryPressure" || name == "RemoveMemoryPressure") && invocation.Arguments.Length == 1
                           && original(invocation) is { } placed && PositiveValues.Holds(placed.Arguments[0].Value, placed, stable);
                case "System.Runtime.InteropServices.GCHandle":
                    return name == "Alloc" && invocation.Arguments.Length == 1;
                case "System.Runtime.InteropServices.SafeHandle":
                case "System.Runtime.InteropServices.CriticalHandle":
                case "Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid":
                case "Microsoft.Win32.SafeHandles.SafeHandleMinusOneIsInvalid":
                case "Microsoft.Win32.SafeHandles.CriticalHandleZeroOrMinusOneIsInvalid":
                case "Microsoft.Win32.SafeHandles.CriticalHandleMinusOneIsInvalid":
                    // A handle base's constructor (the ': base(IntPtr.Zero, true)' of a binding's handle type) and SetHandle
                    // only store the value and the ownership flag; SetHandleAsInvalid only marks the handle closed.
                    return method.MethodKind == MethodKind.Constructor || name == "SetHandle" || name == "SetHandleAsInvalid";
                case "System.IO.MemoryStream":
                    return ExposableStreamBuffers.IsOwnBufferRead(original(invocation), stable);
                case "System.Runtime.InteropServices.Marshal":
                    // The error readers return what the marshaller saved for this thread.
                    return (name == "GetFunctionPointerForDelegate" && invocation.Arguments.Length == 1
                            && (IsNewDelegate(invocation.Arguments[0].Value) || HoldsNewDelegate(invocation.Arguments[0].Value, stable, original(invocation)?.SemanticModel)
                                || MarshalableDelegates.HoldsForArgument(original(invocation), stable)
                                || ConstructorMadeDelegates.HoldsForArgument(original(invocation))))
                           || (name is "GetLastWin32Error" or "GetLastPInvokeError" or "GetLastSystemError" && invocation.Arguments.IsEmpty)
                           || (name == "UnsafeAddrOfPinnedArrayElement" && IsElementAddressOfArrayThatIsThere(invocation, stable, original, nonNullParameter));
                default:
                    return false;
            }
        }

        public static bool IsInfallible(IObjectCreationOperation creation, StableValues stable, System.Func<IParameterSymbol, bool>? replacingParameter = null)
        {
            if (creation.Type is not INamedTypeSymbol type || creation.Initializer != null)
            {
                return false;
            }

            switch (FullName(type))
            {
                case "System.String":
                    // new string(chars): a copy; new string(bytes, start, length, encoding): decoding a pointer and a count;
                    // new string(char*) and new string(char*, start, length): a copy of memory the caller holds, as
                    // Marshal.PtrToStringUni is (ThrowPoints: memory accessors).
                    if (creation.Arguments.Length is 1 or 3 && creation.Arguments[0].Value.Type is IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Char })
                    {
                        return true;
                    }

                    return (creation.Arguments.Length == 1 && creation.Arguments[0].Value.Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Char })
                           || (creation.Arguments.Length == 4 && creation.Arguments[0].Value.Type is IPointerTypeSymbol
                               && IsReplacingEncoding(creation.Arguments[3].Value, replacingParameter));
                case "System.Collections.Generic.List":
                case "System.Collections.Generic.Queue":
                case "System.Collections.Generic.Stack":
                case "System.Collections.Generic.HashSet":
                case "System.Collections.Generic.Dictionary":
                case "System.Collections.Concurrent.ConcurrentDictionary":
                case "System.Collections.Concurrent.ConcurrentQueue":
                case "System.Text.StringBuilder":
                    return creation.Arguments.Length == 0 || IsCapacityKnownNonNegative(creation, stable);
                case "System.Object":
                case "System.EventArgs":
                    return creation.Arguments.Length == 0;
                case "System.WeakReference":
                    // A weak handle to the target (null allowed) and the resurrection flag: nothing is validated.
                    return creation.Arguments.Length is 1 or 2 && creation.Constructor?.DeclaredAccessibility == Accessibility.Public;
                case "System.Collections.Generic.KeyValuePair":
                    // A pair of the two values given, stored as they are (net-vips collects its argument names this way
                    // inside a native enumeration callback).
                    return true;
                case "System.Threading.Tasks.TaskCompletionSource":
                    foreach (var argument in creation.Arguments)
                    {
                        if (!argument.Value.ConstantValue.HasValue && argument.Parameter?.Type.SpecialType != SpecialType.System_Object)
                        {
                            return false;
                        }
                    }

                    return true;
                case "System.Guid":
                    return creation.Arguments.Length == 1 && IsSixteenBytes(creation.Arguments[0].Value, stable);
                case "System.Diagnostics.StackTrace":
                    // The calling thread's own stack: only a negative count of frames to skip is refused.
                    return creation.Arguments.All(argument => argument.Value.Type?.SpecialType == SpecialType.System_Boolean
                                                              || argument.Value.ConstantValue is { HasValue: true, Value: int skip } && skip >= 0);
                case "System.Text.UTF8Encoding":
                case "System.Text.UnicodeEncoding":
                case "System.Text.UTF32Encoding":
                case "System.Text.ASCIIEncoding":
                    // Their constructors take only flags (byte order mark, endianness, throw on invalid bytes).
                    return creation.Arguments.All(argument => argument.Value.ConstantValue.HasValue);
                default:
                    return IsStoringExceptionConstructor(creation.Constructor) || IsGeometryValue(type) || IsFrameworkEventArgs(type, creation);
            }
        }

        /// <summary>
        /// A framework event-argument object made without arguments (<c>new CancelEventArgs()</c>): a carrier of fields
        /// the handlers set.
        /// </summary>
        private static bool IsFrameworkEventArgs(INamedTypeSymbol type, IObjectCreationOperation creation)
        {
            if (creation.Arguments.Length != 0 || type.DeclaringSyntaxReferences.Length > 0)
            {
                return false;
            }

            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.Name == "EventArgs" && NamespaceNames.Is(current.ContainingNamespace, "System"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The geometry values of <c>System.Drawing</c> (<c>Size</c>, <c>Point</c>, <c>Rectangle</c>, their <c>F</c> forms) and
        /// <c>System.Numerics</c> (<c>Vector2</c>, <c>Quaternion</c>, ...): their constructors store the components they are
        /// given and check nothing (GLFW.NET's <c>new Size(width, height)</c> in a resize callback). Span-taking vector
        /// constructors (which check the length) are not these.
        /// </summary>
        private static bool IsGeometryValue(INamedTypeSymbol type)
            => type.IsValueType && type.DeclaringSyntaxReferences.Length == 0 && (NamespaceNames.Is(type.ContainingNamespace, "System.Drawing") || NamespaceNames.Is(type.ContainingNamespace, "System.Numerics"))
               && type.Name is "Size" or "SizeF" or "Point" or "PointF" or "Rectangle" or "RectangleF"
                   or "Vector2" or "Vector3" or "Vector4" or "Quaternion" or "Plane" or "Matrix3x2" or "Matrix4x4";

        /// <summary>
        /// A constructor of a framework exception taking only a message, a parameter name and an inner exception
        /// (<c>new TaskCanceledException("closed")</c>, <c>new AggregateException(message, inner)</c>, and the
        /// <c>: base(message)</c> of a library's own exception): it stores them. The null inner exception some reject is an
        /// argument bug, not a path. Building the exception a callback hands back to its task is not where it fails.
        /// </summary>
        public static bool IsStoringExceptionConstructor(IMethodSymbol? constructor)
        {
            if (constructor is not { MethodKind: MethodKind.Constructor, ContainingType: { } type } || type.DeclaringSyntaxReferences.Length > 0)
            {
                return false;
            }

            var isException = false;
            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.Name == "Exception" && NamespaceNames.Is(current.ContainingNamespace, "System"))
                {
                    isException = true;
                    break;
                }
            }

            return isException && constructor.Parameters.All(p => p.Type.SpecialType == SpecialType.System_String || IsExceptionType(p.Type));
        }

        private static bool IsExceptionType(ITypeSymbol type)
        {
            for (var current = type as INamedTypeSymbol; current != null; current = current.BaseType)
            {
                if (current.Name == "Exception" && NamespaceNames.Is(current.ContainingNamespace, "System"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A collection made with a capacity (<c>new Stack&lt;IntPtr&gt;(limit)</c>) throws only when the capacity is negative:
        /// not when it is a constant of at least zero, or a value an earlier test rejected when not positive
        /// (<see cref="PositiveValues"/>: <c>if (limit &lt;= 0) return;</c>).
        /// </summary>
        private static bool IsCapacityKnownNonNegative(IObjectCreationOperation creation, StableValues stable)
        {
            if (creation.Arguments.Length != 1 || creation.Arguments[0].Value is not { Type.SpecialType: SpecialType.System_Int32 } capacity)
            {
                return false;
            }

            return OperationTree.SkipConversions(capacity).ConstantValue is { HasValue: true, Value: int constant }
                ? constant >= 0
                : PositiveValues.Holds(capacity, creation, stable);
        }

        /// <summary>
        /// <c>encoding.GetChars(bytes, n, chars, n)</c> — pointer overload, the destination as long as the source — with a
        /// replacing framework encoding (the caller checks the encoding): each of those decodes a byte to at most one char
        /// (UTF-8 writes one U+FFFD per invalid byte, UTF-16 and UTF-32 fewer chars than bytes), so the destination cannot
        /// be too short, the only failure left besides the null pointers and negative counts the model does not count.
        /// </summary>
        private static bool IsDecodingIntoAsManyChars(IInvocationOperation invocation, StableValues stable)
        {
            var parameters = invocation.TargetMethod.Parameters;
            if (parameters.Length != 4 || parameters[0].Type is not IPointerTypeSymbol || parameters[2].Type is not IPointerTypeSymbol)
            {
                return false;
            }

            IOperation? byteCount = null;
            IOperation? charCount = null;
            foreach (var argument in invocation.Arguments)
            {
                switch (argument.Parameter?.Ordinal)
                {
                    case 1:
                        byteCount = OperationTree.SkipConversions(argument.Value);
                        break;
                    case 3:
                        charCount = OperationTree.SkipConversions(argument.Value);
                        break;
                }
            }

            if (byteCount == null || charCount == null)
            {
                return false;
            }

            if (byteCount.ConstantValue.HasValue || charCount.ConstantValue.HasValue)
            {
                return byteCount.ConstantValue.Value is int bytes && charCount.ConstantValue.Value is int chars && chars >= bytes;
            }

            return stable.SymbolOf(byteCount) is { } measured && SymbolEqualityComparer.Default.Equals(measured, stable.SymbolOf(charCount));
        }

        // A lambda, method group or 'new D(M)' is never null and never generic: the only failures of GetFunctionPointerForDelegate.
        internal static bool IsNewDelegate(IOperation value)
            => OperationTree.SkipConversions(value) is IDelegateCreationOperation or IAnonymousFunctionOperation or IMethodReferenceOperation;

        /// <summary>
        /// A local declared with a delegate made on the spot and never written again (<c>QueryDelegate qi = QueryImpl;</c>,
        /// then <c>GetFunctionPointerForDelegate(qi)</c>): the same delegate as passing <c>QueryImpl</c> directly.
        /// </summary>
        private static bool HoldsNewDelegate(IOperation value, StableValues stable, SemanticModel? model)
            => OperationTree.SkipConversions(value) is ILocalReferenceOperation local
               && stable.InitializerOf(local.Local, model) is { } initializer && IsNewDelegate(initializer);

        /// <summary>
        /// <c>s.StartsWith(prefix)</c>, <c>EndsWith</c>, <c>Contains</c>, <c>IndexOf</c> of one string: a comparison whose
        /// only argument check is for a null argument (a null receiver is the dereference this model does not count).
        /// </summary>
        /// <summary>
        /// <c>text.Replace("\t", x)</c>: the string overload checks only that the text to find is neither null nor empty, which a
        /// non-empty constant settles; what replaces it may be anything, null meaning remove (LAME's report callbacks swap
        /// tabs out of a format before handing it to <c>vsnprintf</c>).
        /// </summary>
        private static bool IsReplacingConstantText(IInvocationOperation invocation)
            => invocation.TargetMethod is { Name: "Replace", IsStatic: false, Parameters.Length: 2 } method && invocation.Instance != null
               && method.Parameters[0].Type.SpecialType == SpecialType.System_String && method.Parameters[1].Type.SpecialType == SpecialType.System_String
               && invocation.Arguments.Length == 2 && invocation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string { Length: > 0 } };

        private static bool IsStringSearch(IInvocationOperation invocation)
            => invocation.TargetMethod is { Name: "StartsWith" or "EndsWith" or "Contains" or "IndexOf", IsStatic: false } method
               && invocation.Instance != null && method.Parameters.Length == 1 && invocation.Arguments.Length == 1
               && method.Parameters[0].Type.SpecialType == SpecialType.System_String;

        /// <summary>
        /// A value that is never null: a string constant, or a parameter never written in the body that every caller being
        /// judged fills with such a value (<paramref name="nonNullParameter"/>), also where a lambda of the body captures it.
        /// </summary>
        internal static bool IsNeverNull(IOperation value, StableValues stable, System.Func<IParameterSymbol, bool>? nonNullParameter)
        {
            value = OperationTree.SkipConversions(value);
            return value.ConstantValue is { HasValue: true, Value: string }
                   || (value is IParameterReferenceOperation parameter && nonNullParameter != null && nonNullParameter(parameter.Parameter)
                       && stable.SymbolOf(parameter) != null)
                   || IsTextAtNonZeroAddress(value, stable);
        }

        /// <summary>
        /// <c>Marshal.PtrToStringUni(p)</c> (and <c>Ansi</c>, <c>Auto</c>, <c>UTF8</c>, one argument) returns null only for a
        /// zero address: here <c>p</c> is a local or parameter never written that an earlier statement rejected when not
        /// positive (<c>if (p.ToInt64() &lt; 0x10000) return …;</c>, NtCoreLib's resource names, whose small values are ids),
        /// <see cref="PositiveValues"/>.
        /// </summary>
        private static bool IsTextAtNonZeroAddress(IOperation value, StableValues stable)
            => value is IInvocationOperation { TargetMethod: { Name: "PtrToStringUni" or "PtrToStringAnsi" or "PtrToStringAuto" or "PtrToStringUTF8", Parameters.Length: 1 } method } read
               && method.ContainingType?.ToDisplayString() == "System.Runtime.InteropServices.Marshal"
               && PositiveValues.Holds(read.Arguments[0].Value, read, stable);

        /// <summary>
        /// <c>Marshal.UnsafeAddrOfPinnedArrayElement(array, index)</c> checks only that the array is not null and adds the
        /// index to its data address, unchecked: it cannot fail when the array is a new one, a local declared with one and never
        /// written again, or a value the way to the call tested against null or dereferenced (<see cref="DereferencedBefore"/>),
        /// as FreeImage.NET's copies between a pinned array and a bitmap's bits do.
        /// </summary>
        private static bool IsElementAddressOfArrayThatIsThere(IInvocationOperation invocation, StableValues stable, System.Func<IInvocationOperation, IInvocationOperation?> original, System.Func<IParameterSymbol, bool>? nonNullParameter)
        {
            // The local's initializer is read on the original tree: a graph's copy of the call has no semantic model.
            if (invocation.Arguments.Length != 2 || original(invocation) is not { } bound || OperationTree.ArgumentValue(bound, 0) is not { } array)
            {
                return false;
            }

            return OperationTree.SkipConversions(array) switch
            {
                IArrayCreationOperation => true,
                ILocalReferenceOperation local when stable.InitializerOf(local.Local, local.SemanticModel) is { } initializer
                                                    && OperationTree.SkipConversions(initializer) is IArrayCreationOperation => true,
                _ => IsNeverNull(array, stable, nonNullParameter) || DereferencedBefore.HoldsForArgument(bound, 0, stable),
            };
        }

        // map.Remove(o) where o was dereferenced on the way (DereferencedBefore): the null-key check cannot fail.
        private static bool IsDereferencedKey(IInvocationOperation? bound, StableValues stable) => DereferencedBefore.HoldsForArgument(bound, 0, stable);

        /// <summary>
        /// Members of a framework list or set that cannot fail on any argument: <c>Add</c>, <c>Clear</c>, <c>Contains</c>,
        /// <c>Remove(item)</c>, and a list's <c>ToArray()</c>. <paramref name="collection"/> is the namespace-qualified name
        /// without arity, which is also what <see cref="CreatedCollections.Of"/> gives for a value an interface-typed field holds.
        /// </summary>
        public static bool IsInfallibleCollectionMember(string collection, string name, int arguments) => collection switch
        {
            "System.Collections.Generic.List" => name is "Add" or "Clear" or "Contains" || (name == "Remove" && arguments == 1) || (name == "ToArray" && arguments == 0),
            "System.Collections.Generic.HashSet" => name is "Add" or "Remove" or "Contains" or "Clear",
            _ => false,
        };

        /// <summary>
        /// <c>Enum.IsDefined(typeof(E), value)</c> where the value is an <c>E</c> or of <c>E</c>'s underlying type (NtCoreLib's
        /// <c>Enum.IsDefined(typeof(WellKnownImageResourceType), id)</c> with an <c>int</c>), or <c>Enum.IsDefined&lt;E&gt;(e)</c> of a
        /// concrete enum: it throws only for a value of another type, a null, or a type that is not an enum.
        /// </summary>
        private static bool IsDefinedOfMatchingValue(IInvocationOperation invocation)
        {
            if (invocation.TargetMethod.TypeArguments.Length == 1)
            {
                return invocation.TargetMethod.TypeArguments[0].TypeKind == TypeKind.Enum;
            }

            if (invocation.Arguments.Length != 2
                || OperationTree.SkipConversions(invocation.Arguments[0].Value) is not ITypeOfOperation { TypeOperand: INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying } enumType })
            {
                return false;
            }

            var valueType = OperationTree.SkipConversions(invocation.Arguments[1].Value).Type;
            return SymbolEqualityComparer.Default.Equals(valueType, enumType) || SymbolEqualityComparer.Default.Equals(valueType, underlying);
        }

        // Every name this class compares is a framework one (System.*, Microsoft.*): any other type's name is not built.
        private static string FullName(INamedTypeSymbol type)
            => NamespaceNames.IsWithin(type.ContainingNamespace, "System") || NamespaceNames.IsWithin(type.ContainingNamespace, "Microsoft")
                ? type.ContainingNamespace!.ToDisplayString() + "." + type.Name
                : string.Empty;

        /// <summary>
        /// <c>string.Format(Strings.NotFound, name)</c>: a format that is a constant, a static read-only field or a static
        /// get-only property (the accessor of a resource file), filled with strings and primitive values. Its only failures
        /// are a malformed format or a placeholder beyond the arguments: the same text fails on every run of the call,
        /// whatever the input, in the first test that reaches it — not what a leak or an escape report is about. The
        /// arguments' own formatting cannot fail (no user <c>ToString</c> runs).
        /// </summary>
        private static bool IsFixedFormatOfPlainValues(IInvocationOperation invocation)
        {
            var format = invocation.TargetMethod.Parameters.FirstOrDefault(p => p.Name == "format");
            if (format == null || format.Type.SpecialType != SpecialType.System_String)
            {
                return false;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (SymbolEqualityComparer.Default.Equals(argument.Parameter, format))
                {
                    if (!IsFixedText(argument.Value))
                    {
                        return false;
                    }

                    continue;
                }

                if (argument.Parameter?.Type.Name == "IFormatProvider")
                {
                    continue;
                }

                // A params array (or, from .NET 9, a params span) is made of the listed values.
                var values = argument.ArgumentKind is not (ArgumentKind.ParamArray or ArgumentKind.ParamCollection)
                    ? System.Collections.Immutable.ImmutableArray.Create(argument.Value)
                    : argument.Value switch
                    {
                        IArrayCreationOperation { Initializer: { } elements } => elements.ElementValues,
                        ICollectionExpressionOperation collection => collection.Elements,
                        _ => default,
                    };
                if (values.IsDefault)
                {
                    return false;
                }

                if (!values.All(v => IsPlainValue(OperationTree.SkipConversions(v).Type)))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsFixedText(IOperation value)
            => OperationTree.SkipConversions(value) switch
            {
                { ConstantValue: { HasValue: true, Value: string } } => true,
                IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } } => true,
                IPropertyReferenceOperation { Property: { IsStatic: true, SetMethod: null, Parameters.IsEmpty: true } } => true,
                _ => false,
            };

        private static bool IsPlainValue(ITypeSymbol? type)
            => type != null && (type.SpecialType is SpecialType.System_String or SpecialType.System_Char or SpecialType.System_Boolean
                or SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
                or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
                or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal);

        /// <summary>
        /// <c>names[index] = name</c> into a <c>Dictionary</c> keyed by a non-nullable value type: the indexer's setter adds or
        /// replaces, and fails only for a null key (NAudio.Lame's genre list). Reading it still throws for a missing key.
        /// </summary>
        internal static bool IsValueKeyedDictionaryStore(IPropertyReferenceOperation indexer)
            => indexer.Parent is ISimpleAssignmentOperation assignment && assignment.Target == indexer
               && indexer.Property is { IsIndexer: true, ContainingType: { } type }
               && FullName(type) == "System.Collections.Generic.Dictionary" && type.TypeArguments.Length == 2
               && IsNonNullableValueType(type.TypeArguments[0]);

        private static bool IsNonNullableValueType(ITypeSymbol type)
            => type.IsValueType && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T && type.TypeKind != TypeKind.TypeParameter;

        private static bool IsDefaultOrdered(ITypeSymbol type)
            => type.TypeKind == TypeKind.Enum
               || type.SpecialType is >= SpecialType.System_Char and <= SpecialType.System_Double;

        private static bool IsAtMost32BitInteger(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt16 or SpecialType.System_Int16
               or SpecialType.System_Byte or SpecialType.System_SByte;

        /// <summary>
        /// An encoding that replaces invalid input instead of throwing: the framework's own (<c>Encoding.UTF8</c>, ...), a
        /// static readonly field of this compilation initialized with one or with <c>new UTF8Encoding(bom, false)</c> (or
        /// without the throwing flag), a parameter its callers fill with one (<paramref name="replacingParameter"/>), or an
        /// instance member the compilation only ever fills with one (<paramref name="replacingMember"/>,
        /// <see cref="ReplacingEncodingMembers"/>). Any other constructed or passed-in encoding may have a throwing fallback.
        /// </summary>
        public static bool IsReplacingEncoding(IOperation instance, System.Func<IParameterSymbol, bool>? replacingParameter, System.Func<ISymbol, bool>? replacingMember = null)
        {
            instance = OperationTree.SkipConversions(instance);
            switch (instance)
            {
                case IPropertyReferenceOperation { Instance: null, Property: { ContainingType: { } owner } property }:
                    return FullName(owner) == "System.Text.Encoding" && IsReplacingFrameworkEncoding(property.Name);
                case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } field }:
                    return IsReplacingInitializer(field);
                case IParameterReferenceOperation parameter:
                    return replacingParameter != null && replacingParameter(parameter.Parameter);
                case IMemberReferenceOperation { Instance: not null, Member: IFieldSymbol or IPropertySymbol } member:
                    return replacingMember != null && replacingMember(member.Member);
                default:
                    return false;
            }
        }

        private static bool IsReplacingFrameworkEncoding(string name)
            => name is "UTF8" or "ASCII" or "Unicode" or "BigEndianUnicode" or "UTF32" or "Latin1";

        // Read from the declaration: 'static readonly Encoding Lax = new UTF8Encoding(false, false);'.
        private static bool IsReplacingInitializer(IFieldSymbol field)
        {
            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: { } value })
                {
                    return false;
                }

                switch (value)
                {
                    case Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access:
                        return access.Expression.ToString() is "Encoding" or "System.Text.Encoding" && IsReplacingFrameworkEncoding(access.Name.Identifier.ValueText);
                    case Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax creation:
                        var arguments = creation.ArgumentList?.Arguments;
                        var typeName = (creation as Microsoft.CodeAnalysis.CSharp.Syntax.ObjectCreationExpressionSyntax)?.Type.ToString() ?? field.Type.Name;
                        var count = arguments?.Count ?? 0;
                        return ((typeName is "UTF8Encoding" or "System.Text.UTF8Encoding") && IsReplacingUtf8Arguments(arguments))
                               || (count == 0 && field.Type is INamedTypeSymbol made && IsLastName(typeName, made.Name) && IsReplacingUtf8Subclass(made));
                    default:
                        return false;
                }
            }

            return false;
        }

        // new UTF8Encoding(), (bom), or (bom, false): the second flag is throwOnInvalidBytes.
        private static bool IsReplacingUtf8Arguments(Microsoft.CodeAnalysis.SeparatedSyntaxList<Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax>? arguments)
            => (arguments?.Count ?? 0) < 2
               || (arguments!.Value.Count == 2 && arguments.Value[1].Expression.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.FalseLiteralExpression));

        private static bool IsLastName(string typeName, string name)
            => typeName == name || typeName.EndsWith("." + name, System.StringComparison.Ordinal);

        /// <summary>
        /// A sealed class of the compilation that only names a replacing UTF-8 encoding (Jolt's <c>UTF8EncodingRelaxed</c>):
        /// it derives from <c>UTF8Encoding</c>, overrides nothing, and every constructor it declares chains to a base
        /// constructor given at most the byte-order-mark flag, or <c>throwOnInvalidBytes: false</c> as the second.
        /// </summary>
        private static bool IsReplacingUtf8Subclass(INamedTypeSymbol type)
        {
            if (!type.IsSealed || type.BaseType is not { Name: "UTF8Encoding" } baseType || FullName(baseType) != "System.Text.UTF8Encoding" || type.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            foreach (var member in type.GetMembers())
            {
                if (member.IsOverride)
                {
                    return false;
                }

                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsImplicitlyDeclared: false } constructor)
                {
                    foreach (var reference in constructor.DeclaringSyntaxReferences)
                    {
                        if (reference.GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax declaration
                            || (declaration.Initializer is { } chained
                                && (!chained.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.BaseConstructorInitializer) || !IsReplacingUtf8Arguments(chained.ArgumentList.Arguments))))
                        {
                            return false;
                        }
                    }
                }
            }

            return true;
        }

        private static bool IsSixteenBytes(IOperation value, StableValues stable)
        {
            value = OperationTree.SkipConversions(value);
            if (value is ILocalReferenceOperation local && stable.InitializerOf(local.Local, value.SemanticModel) is { } initializer)
            {
                value = OperationTree.SkipConversions(initializer);
            }

            return value is IArrayCreationOperation { DimensionSizes.Length: 1 } array
                   && array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: 16 };
        }

        /// <summary>
        /// The collection the call takes from was tested non-empty on the way here, and the guarded code removes from it
        /// only through this call.
        /// </summary>
        private static bool IsCountGuarded(IInvocationOperation? invocation, StableValues stable)
        {
            if (invocation?.Instance == null || CollectionOf(invocation.Instance, stable) is not { } collection)
            {
                return false;
            }

            var child = (IOperation)invocation;
            for (var parent = invocation.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                var guarded = parent switch
                {
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when either.RightOperand == child => Tests(either.LeftOperand, collection, stable, nonEmpty: false),
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when both.RightOperand == child => Tests(both.LeftOperand, collection, stable, nonEmpty: true),
                    IConditionalOperation conditional when conditional.WhenTrue == child => Tests(conditional.Condition, collection, stable, nonEmpty: true),
                    IConditionalOperation conditional when conditional.WhenFalse == child => Tests(conditional.Condition, collection, stable, nonEmpty: false),
                    IWhileLoopOperation { ConditionIsTop: true, ConditionIsUntil: false, Condition: { } condition } loop when loop.Body == child => Tests(condition, collection, stable, nonEmpty: true),
                    _ => false,
                };
                if (guarded)
                {
                    return RemovesOnce(child, collection, stable) && !Reassigns(parent, collection);
                }
            }

            return false;
        }

        // Whether the condition, when true, shows the collection non-empty (nonEmpty) or empty (!nonEmpty).
        private static bool Tests(IOperation condition, ISymbol collection, StableValues stable, bool nonEmpty)
        {
            condition = OperationTree.SkipConversions(condition);
            if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both && nonEmpty)
            {
                return Tests(both.LeftOperand, collection, stable, nonEmpty) || Tests(both.RightOperand, collection, stable, nonEmpty);
            }

            if (condition is not IBinaryOperation comparison)
            {
                return false;
            }

            var kind = comparison.OperatorKind;
            IOperation count;
            IOperation bound;
            if (IsCountOf(comparison.LeftOperand, collection, stable))
            {
                (count, bound) = (comparison.LeftOperand, comparison.RightOperand);
            }
            else if (IsCountOf(comparison.RightOperand, collection, stable))
            {
                (count, bound) = (comparison.RightOperand, comparison.LeftOperand);
                kind = Mirrored(kind);
            }
            else
            {
                return false;
            }

            if (OperationTree.SkipConversions(bound).ConstantValue is not { HasValue: true, Value: int constant } || count == bound)
            {
                return false;
            }

            return nonEmpty
                ? (kind == BinaryOperatorKind.GreaterThan && constant >= 0) || (kind == BinaryOperatorKind.GreaterThanOrEqual && constant >= 1)
                  || (kind == BinaryOperatorKind.NotEquals && constant == 0)
                : (kind == BinaryOperatorKind.Equals && constant == 0) || (kind == BinaryOperatorKind.LessThan && constant <= 1)
                  || (kind == BinaryOperatorKind.LessThanOrEqual && constant <= 0);
        }

        private static BinaryOperatorKind Mirrored(BinaryOperatorKind kind)
            => kind switch
            {
                BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
                BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
                BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
                _ => kind,
            };

        private static bool IsCountOf(IOperation operation, ISymbol collection, StableValues stable)
            => OperationTree.SkipConversions(operation) is IPropertyReferenceOperation { Property.Name: "Count", Instance: { } instance }
               && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), collection);

        /// <summary>
        /// <c>dictionary.Add(key, value)</c> where a lookup of the same key in the same dictionary has just said it is absent
        /// (<c>if (!pools.TryGetValue(size, out var pool)) { pool = new(); pools.Add(size, pool); }</c>, also with
        /// <c>ContainsKey</c>, or in the else branch of the positive test): the add cannot find a duplicate, and a null key
        /// would have failed the lookup first. The key must be a stable value (<see cref="StableValues"/>), the branch must
        /// add to the dictionary only once, and a field naming it must not be assigned inside the test's statement.
        /// </summary>
        private static bool IsAbsentKeyGuarded(IInvocationOperation? invocation, StableValues stable)
        {
            if (invocation?.Instance == null || invocation.Arguments.Length != 2 || CollectionOf(invocation.Instance, stable) is not { } dictionary
                || KeyArgument(invocation) is not { } keyArgument || stable.SymbolOf(keyArgument) is not { } key)
            {
                return false;
            }

            var child = (IOperation)invocation;
            for (var parent = invocation.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                var guarded = parent switch
                {
                    IConditionalOperation conditional when conditional.WhenTrue == child => SaysAbsent(conditional.Condition, dictionary, key, stable, whenTrue: true),
                    IConditionalOperation conditional when conditional.WhenFalse == child => SaysAbsent(conditional.Condition, dictionary, key, stable, whenTrue: false),
                    _ => false,
                };
                if (guarded)
                {
                    return AddsOnce(new[] { child }, dictionary, stable) && !Reassigns(parent, dictionary);
                }

                // An earlier statement of the block left when the key was present: 'if (d.ContainsKey(k)) return;'.
                if (parent is IBlockOperation block)
                {
                    var at = block.Operations.IndexOf(child);
                    for (var index = at - 1; index >= 0; index--)
                    {
                        if (block.Operations[index] is IConditionalOperation { WhenFalse: null } rejecting && OperationTree.Leaves(rejecting.WhenTrue)
                            && SaysAbsent(rejecting.Condition, dictionary, key, stable, whenTrue: false))
                        {
                            var following = block.Operations.Skip(index + 1).Take(at - index);
                            return AddsOnce(following, dictionary, stable) && !following.Any(operation => Reassigns(operation, dictionary));
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// <c>dictionary[key]</c> read from a framework dictionary where a lookup of the same key in the same dictionary has
        /// just shown it present (<c>if (d.ContainsKey(k)) return d[k];</c>, <c>d.ContainsKey(k) ? d[k] : null</c>, or after
        /// <c>if (!d.ContainsKey(k)) throw …;</c> in the same block): the getter throws only for a missing key (or a null one,
        /// which fails the lookup first). The mirror of the absent-key add (<see cref="IsAbsentKeyGuarded"/>), on the same
        /// terms: a stable key, and nothing from the test to the read removes from, clears or reassigns the dictionary (in a
        /// loop inside the guarded code, nothing anywhere in it).
        /// </summary>
        internal static bool IsPresentKeyRead(IPropertyReferenceOperation indexer, StableValues stable)
        {
            if (indexer.Instance == null || indexer.Arguments.Length != 1 || indexer.Property is not { IsIndexer: true, ContainingType: { } type }
                || FullName(type) is not ("System.Collections.Generic.Dictionary" or "System.Collections.Generic.SortedDictionary" or "System.Collections.Generic.SortedList")
                || (indexer.Parent is ISimpleAssignmentOperation assignment && assignment.Target == indexer)
                || CollectionOf(indexer.Instance, stable) is not { } dictionary || stable.SymbolOf(indexer.Arguments[0].Value) is not { } key)
            {
                return false;
            }

            var looped = false;
            var child = (IOperation)indexer;
            for (var parent = indexer.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                looped |= parent is ILoopOperation;
                var guarded = parent switch
                {
                    IConditionalOperation conditional when conditional.WhenTrue == child => Says(conditional.Condition, dictionary, key, stable, whenTrue: true, present: true),
                    IConditionalOperation conditional when conditional.WhenFalse == child => Says(conditional.Condition, dictionary, key, stable, whenTrue: false, present: true),
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when both.RightOperand == child => Says(both.LeftOperand, dictionary, key, stable, whenTrue: true, present: true),
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when either.RightOperand == child => Says(either.LeftOperand, dictionary, key, stable, whenTrue: false, present: true),
                    _ => false,
                };
                if (guarded)
                {
                    return !ChangesBefore(new[] { child }, dictionary, stable, indexer, looped);
                }

                // An earlier statement of the block left when the key was missing: 'if (!d.ContainsKey(k)) throw …;'.
                if (parent is IBlockOperation block)
                {
                    var at = block.Operations.IndexOf(child);
                    for (var index = at - 1; index >= 0; index--)
                    {
                        if (block.Operations[index] is IConditionalOperation { WhenFalse: null } rejecting && OperationTree.Leaves(rejecting.WhenTrue)
                            && Says(rejecting.Condition, dictionary, key, stable, whenTrue: false, present: true))
                        {
                            return !ChangesBefore(block.Operations.Skip(index + 1).Take(at - index), dictionary, stable, indexer, looped);
                        }
                    }
                }
            }

            return false;
        }

        // Whether the guarded statements remove from, clear or reassign the dictionary before the read (anywhere, when the
        // read is in a loop inside them).
        private static bool ChangesBefore(IEnumerable<IOperation> guarded, ISymbol dictionary, StableValues stable, IOperation read, bool looped)
        {
            foreach (var operation in guarded.SelectMany(statement => statement.DescendantsAndSelf()))
            {
                if (!looped && operation.Syntax.SpanStart >= read.Syntax.SpanStart)
                {
                    continue;
                }

                if (operation is IInvocationOperation { TargetMethod.Name: "Remove" or "TryRemove" or "Clear", Instance: { } instance }
                    && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), dictionary))
                {
                    return true;
                }

                if (Reassigns(operation, dictionary) || (operation is IAssignmentOperation { Target: { } target } && SymbolEqualityComparer.Default.Equals(stable.SymbolOf(target), dictionary)))
                {
                    return true;
                }
            }

            return false;
        }

        // Whether the condition, when true (whenTrue) or when false, shows the key absent from the dictionary.
        private static bool SaysAbsent(IOperation condition, ISymbol dictionary, ISymbol key, StableValues stable, bool whenTrue)
            => Says(condition, dictionary, key, stable, whenTrue, present: false);

        // Whether the condition, when true (whenTrue) or when false, shows the key present (present) or absent in the dictionary.
        private static bool Says(IOperation condition, ISymbol dictionary, ISymbol key, StableValues stable, bool whenTrue, bool present)
        {
            condition = OperationTree.SkipConversions(condition);
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return Says(not.Operand, dictionary, key, stable, !whenTrue, present);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when whenTrue:
                    return Says(both.LeftOperand, dictionary, key, stable, whenTrue, present) || Says(both.RightOperand, dictionary, key, stable, whenTrue, present);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when !whenTrue:
                    return Says(either.LeftOperand, dictionary, key, stable, whenTrue, present) || Says(either.RightOperand, dictionary, key, stable, whenTrue, present);
                case IInvocationOperation { TargetMethod.Name: "TryGetValue" or "ContainsKey", Instance: { } instance } lookup when whenTrue == present:
                    return SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), dictionary)
                           && KeyArgument(lookup) is { } looked && SymbolEqualityComparer.Default.Equals(stable.SymbolOf(looked), key);
                default:
                    return false;
            }
        }

        private static IOperation? KeyArgument(IInvocationOperation call) => OperationTree.ArgumentValue(call, 0);

        private static bool AddsOnce(IEnumerable<IOperation> guarded, ISymbol dictionary, StableValues stable)
        {
            var adds = 0;
            foreach (var operation in guarded.SelectMany(statement => statement.DescendantsAndSelf()))
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Add" or "TryAdd" or "Clear" or "Remove", Instance: { } instance }
                    && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), dictionary))
                {
                    adds++;
                }
            }

            return adds <= 1;
        }

        /// <summary>
        /// The variable naming the collection: a stable value (<see cref="StableValues"/>), or a field of <c>this</c> or a
        /// static field, which the guard checks is not assigned between the test and the call.
        /// </summary>
        private static ISymbol? CollectionOf(IOperation instance, StableValues stable)
            => stable.SymbolOf(instance)
               ?? (OperationTree.SkipConversions(instance) is IFieldReferenceOperation field
                   && (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
                   ? field.Field
                   : null);

        private static bool Reassigns(IOperation guard, ISymbol collection)
        {
            foreach (var operation in guard.DescendantsAndSelf())
            {
                if (operation is IAssignmentOperation { Target: IFieldReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Field, collection))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool RemovesOnce(IOperation guarded, ISymbol collection, StableValues stable)
        {
            var removals = 0;
            foreach (var operation in guarded.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Dequeue" or "Pop" or "Clear" or "TryDequeue" or "TryPop", Instance: { } instance }
                    && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), collection))
                {
                    removals++;
                }
            }

            return removals <= 1;
        }
    }
}
