using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG2003: a managed buffer (array, string, StringBuilder, array-backed span, ref into an array, <c>fixed</c> pointer
    /// over a managed object) given to a native function that keeps the pointer after it returns, directly or through a
    /// managed wrapper. Marshalling pins (or copies) such a buffer only for the duration of the call.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class RetainedManagedBufferAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RetainedManagedBuffer);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration))
                {
                    return;
                }

                var buffers = new MarshalledBuffers(interop.Types);
                var calls = new CallGate(interop);
                start.RegisterOperationAction(operation => AnalyzeInvocation(interop, buffers, calls, operation), OperationKind.Invocation);
            });
        }

        /// <summary>
        /// The call's argument for a parameter ordinal. Made here, once per call that reaches the retaining reading: a lambda
        /// in the callback that captures the call makes its closure on entry, for every call of the compilation.
        /// </summary>
        private static System.Func<int, IOperation?> ArgumentValues(IInvocationOperation invocation) => ordinal => OperationTree.ArgumentValue(invocation, ordinal);

        /// <summary>The wrapper call's argument that the wrapper forwards to a native parameter ordinal of <paramref name="function"/>, if any (made here for the same reason).</summary>
        private static System.Func<int, IOperation?> ForwardedArgumentValues(IInvocationOperation invocation, ForwardedCall? forwarded, NativeFunction function)
            => ordinal =>
            {
                var wrapperOrdinal = forwarded != null && SymbolEqualityComparer.Default.Equals(forwarded.Target.OriginalDefinition, function.Method)
                    ? forwarded.WrapperParameterFor(ordinal)
                    : -1;
                return wrapperOrdinal < 0 ? null : OperationTree.ArgumentValue(invocation, wrapperOrdinal);
            };

        private static void AnalyzeInvocation(InteropContext interop, MarshalledBuffers buffers, CallGate calls, OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;

            // Cheap gate, read from the method's symbol: a call with no argument that can carry a buffer, or to a method
            // that is neither a native function nor a wrapper that may forward one, cannot be a finding.
            var shape = calls.ShapeOf(method);
            if (shape.IsNone)
            {
                return;
            }

            var native = shape.Native;
            if (native != null)
            {
                // Only a managed buffer or a formatted object can be a finding: the function's retaining reading (its names,
                // the catalogue, the options), paid once per function, is asked only of functions given one.
                var classified = new ManagedBuffer?[invocation.Arguments.Length];
                var anyCandidate = false;
                for (var i = 0; i < classified.Length; i++)
                {
                    var candidate = invocation.Arguments[i];
                    if (candidate.Parameter == null)
                    {
                        continue;
                    }

                    classified[i] = buffers.Classify(candidate.Value, candidate.Parameter.Type, candidate.Parameter.RefKind);
                    anyCandidate |= classified[i] != null || (candidate.Parameter.RefKind == RefKind.None && calls.IsFormattedClass(candidate.Parameter.Type));
                }

                if (!anyCandidate)
                {
                    return;
                }

                var nativeScope = interop.ForTree(invocation.Syntax.SyntaxTree);
                if (!nativeScope.IsRetaining(native))
                {
                    return;
                }

                var argumentValue = ArgumentValues(invocation);
                for (var i = 0; i < classified.Length; i++)
                {
                    var argument = invocation.Arguments[i];
                    if (argument.Parameter == null || IsOverlapped(argument.Parameter.Type))
                    {
                        continue;
                    }

                    var reason = WhyRetaining(interop.Types, nativeScope, native, argument.Parameter, invocation, argumentValue);
                    if (reason == RetainingReason.None)
                    {
                        continue;
                    }

                    if (reason is RetainingReason.Catalogue or RetainingReason.Option && argument.Parameter.RefKind == RefKind.None && calls.IsFormattedClass(argument.Parameter.Type))
                    {
                        AnalyzeFormattedObject(interop, native, argument, reason, invocation, context);
                        continue;
                    }

                    var buffer = classified[i];
                    if (buffer != null && (reason != RetainingReason.Name || (!buffer.IsText && nativeScope.NameKeepsPointer(native, argument.Parameter)))
                        && !PinOutlastsOperation(interop, nativeScope, buffer, invocation) && !PinnedByOwner(interop, argument.Value, invocation))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(Descriptors.RetainedManagedBuffer, argument.Syntax.GetLocation(), buffer.Description, "'" + native + "'", Explain(reason, native)));
                    }
                }

                return;
            }

            var scope = interop.ForTree(invocation.Syntax.SyntaxTree);
            foreach (var argument in invocation.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter == null || !IsWrapperCandidate(interop.Types, parameter))
                {
                    continue;
                }

                // Classify first: it is cheap, and most pointer arguments are not managed buffers.
                var buffer = buffers.Classify(argument.Value, parameter.Type, parameter.RefKind);
                if (buffer == null || buffer.IsText || PinOutlastsOperation(interop, scope, buffer, invocation) || PinnedByOwner(interop, argument.Value, invocation))
                {
                    continue;
                }

                var summary = ParameterSummaries.Of(interop).Get(parameter, scope, 0);
                var forwarded = summary.NativeTargets.Targets.Count > 0 ? interop.Wrappers.GetForwardedCall(method) : null;
                foreach (var (function, nativeParameter) in summary.NativeTargets.Targets)
                {
                    var reason = WhyRetaining(interop.Types, scope, function, nativeParameter, invocation, ForwardedArgumentValues(invocation, forwarded, function));
                    if (reason == RetainingReason.None || IsOverlapped(nativeParameter.Type) || (reason == RetainingReason.Name && !scope.NameKeepsPointer(function, nativeParameter)))
                    {
                        continue;
                    }

                    var target = "'" + function + "' through '" + method.ContainingType?.Name + "." + method.Name + "'";
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.RetainedManagedBuffer, argument.Syntax.GetLocation(), buffer.Description, target, Explain(reason, function)));
                    break;
                }
            }
        }

        /// <summary>
        /// An object of a class with sequential or explicit layout (a WAVEHDR declared as a class) given to a parameter the
        /// catalogue or the options say the function keeps (<c>waveInAddBuffer</c>, <c>waveOutWrite</c>: the driver writes
        /// the header when the buffer is done). The marshaller pins the object, or copies it, only for the call; a
        /// <c>GCHandle</c> of type Normal does not pin it. Silent when a pinned GCHandle (or one whose type is not known
        /// here) holds the variable — for a field, anywhere in the type, since another method may own the pin — and when
        /// the object is not a named variable.
        /// </summary>
        private static void AnalyzeFormattedObject(InteropContext interop, NativeFunction native, IArgumentOperation argument, RetainingReason reason, IInvocationOperation invocation, OperationAnalysisContext context)
        {
            ISymbol? variable = OperationTree.SkipConversions(argument.Value) switch
            {
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (variable == null || PinningScopes.HasOwnedPin(variable, invocation, interop.Types))
            {
                return;
            }

            var description = "Object '" + variable.Name + "' of class '" + argument.Parameter!.Type.Name + "' (marshalled by reference)";
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.RetainedManagedBuffer, argument.Syntax.GetLocation(), description, "'" + native + "'", Explain(reason, native)));
        }

        /// <summary>A class of this compilation declared <c>[StructLayout(LayoutKind.Sequential)]</c> or <c>Explicit</c>: marshalled as a pointer to its fields.</summary>
        private static bool IsFormattedClass(ITypeSymbol type)
        {
            if (type.TypeKind != TypeKind.Class || type.SpecialType != SpecialType.None || type.Name == "StringBuilder" || type.DeclaringSyntaxReferences.Length == 0)
            {
                return false;
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.Name == "StructLayoutAttribute" && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is int layout && (layout == 0 || layout == 2))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Why the function keeps what is passed as <paramref name="parameter"/>. An OVERLAPPED parameter makes a call asynchronous only when an
        /// OVERLAPPED is passed: a null one is synchronous I/O, and one from <c>ThreadPoolBoundHandle</c>/<c>Overlapped.Pack</c>
        /// pins the buffers it was created with, which this method cannot see, so only a visibly unpinned one counts.
        /// </summary>
        private static RetainingReason WhyRetaining(WellKnownTypes types, InteropScope scope, NativeFunction function, IParameterSymbol parameter, IOperation call, System.Func<int, IOperation?> argumentFor)
        {
            var why = scope.WhyKept(function, parameter);
            if (why != RetainingReason.Overlapped)
            {
                return why;
            }

            var overlapped = function.Method.Parameters.First(p => IsOverlapped(p.Type));
            return argumentFor(overlapped.Ordinal) is { } overlappedArgument && IsUnpinnedOverlapped(types, overlappedArgument, call) ? RetainingReason.Overlapped : RetainingReason.None;
        }

        /// <summary>
        /// The array is pinned by something that can outlive the call: a pinned <c>GCHandle</c>, a <c>Memory&lt;T&gt;.Pin()</c>,
        /// or the pin data of an overlapped (<c>AllocateNativeOverlapped</c>, <c>Overlapped.Pack</c>, <c>PreAllocatedOverlapped</c>),
        /// created in this method for a local or parameter, or anywhere in the type for a field. Whether that pin lasts long
        /// enough is IG2001's and IG3004's question, not this rule's.
        /// </summary>
        private static bool PinnedByOwner(InteropContext interop, IOperation argument, IInvocationOperation call)
            => MarshalledBuffers.RootVariable(argument) is { } root && PinningScopes.HasOwnedPin(root, call, interop.Types);

        /// <summary>
        /// A <c>fixed</c> block that, after the call, waits for the operation, cancels it or unregisters the buffer keeps
        /// it pinned for as long as native code uses it (<c>GetOverlappedResult(..., wait: true)</c>, <c>unregister_buffer</c>).
        /// </summary>
        private static bool PinOutlastsOperation(InteropContext interop, InteropScope scope, ManagedBuffer buffer, IInvocationOperation call)
        {
            if (buffer.FixedLocal == null)
            {
                return false;
            }

            var fixedStatement = buffer.FixedLocal.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax()
                .FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.FixedStatementSyntax>();
            if (fixedStatement == null || fixedStatement.SyntaxTree != call.Syntax.SyntaxTree)
            {
                return false;
            }

            return OperationCompletion.IsEndedWithin(fixedStatement.Statement, call, interop, scope);
        }

        /// <summary>
        /// An OVERLAPPED in native memory, or on this method's stack when the method treats the I/O as asynchronous: nothing
        /// pins the I/O buffers with it. A stack OVERLAPPED without that evidence usually only carries a file offset for a
        /// handle opened for synchronous I/O, where the call completes before it returns.
        /// </summary>
        private static bool IsUnpinnedOverlapped(WellKnownTypes types, IOperation value, IOperation call)
        {
            value = OperationTree.SkipConversions(value);
            switch (value)
            {
                case IAddressOfOperation addressOf:
                    return OperationTree.SkipConversions(addressOf.Reference) is ILocalReferenceOperation && TreatsIoAsAsynchronous(call);
                case ILocalReferenceOperation { Type: { } localType } when localType is not IPointerTypeSymbol && IsOverlapped(localType):
                    // Passed by ref: the struct lives in this method's frame.
                    return TreatsIoAsAsynchronous(call);
                case ILocalReferenceOperation local:
                    return Initializer(local) is { } initializer && IsUnpinnedOverlapped(types, initializer, call);
                case IConversionOperation conversion:
                    return IsUnpinnedOverlapped(types, conversion.Operand, call);
                case IInvocationOperation invocation:
                    var owner = invocation.TargetMethod.ContainingType;
                    return owner != null && (SymbolEqualityComparer.Default.Equals(owner, types.Marshal) || SymbolEqualityComparer.Default.Equals(owner, types.NativeMemory));
                default:
                    return false;
            }
        }

        /// <summary>The method waits for or cancels the I/O, or tests for ERROR_IO_PENDING (997).</summary>
        private static bool TreatsIoAsAsynchronous(IOperation call)
        {
            var root = OperationTree.Root(call);

            foreach (var node in root.Syntax.DescendantNodes())
            {
                switch (node)
                {
                    case Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax literal when literal.Token.Value is int number && number == 997:
                        return true;
                    case Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax name:
                        var text = name.Identifier.ValueText;
                        if (text.IndexOf("OverlappedResult", System.StringComparison.Ordinal) >= 0 || text.StartsWith("WaitFor", System.StringComparison.Ordinal)
                            || text.StartsWith("CancelIo", System.StringComparison.Ordinal) || text == "HasOverlappedIoCompleted" || text.IndexOf("IO_PENDING", System.StringComparison.Ordinal) >= 0
                            || text == "IoPending")
                        {
                            return true;
                        }

                        break;
                }
            }

            return false;
        }

        private static IOperation? Initializer(ILocalReferenceOperation reference)
        {
            var declarator = reference.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() as Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax;
            if (declarator?.Initializer == null || reference.SemanticModel == null || declarator.SyntaxTree != reference.Syntax.SyntaxTree)
            {
                return null;
            }

            return reference.SemanticModel.GetOperation(declarator.Initializer.Value);
        }

        private static string Explain(RetainingReason reason, NativeFunction function)
        {
            switch (reason)
            {
                case RetainingReason.Option:
                    return "is listed in interopguard.retaining_functions as keeping what it is given";
                case RetainingReason.Catalogue:
                    return "is documented to keep this argument after it returns (InteropGuard's catalogue of " + RetainingFunctions.CatalogueFamily(function) + " functions)";
                case RetainingReason.Overlapped:
                    return "starts asynchronous I/O with an OVERLAPPED that nothing pins the buffer with, so the I/O completes after it returns";
                default:
                    return "has a registration-style name and keeps what it is given after it returns";
            }
        }

        private static bool IsOverlapped(ITypeSymbol type) => RetainingFunctions.IsOverlapped(type);

        private static bool IsWholeBufferType(ITypeSymbol type)
            => type is IArrayTypeSymbol || type.SpecialType == SpecialType.System_String || type.Name == "StringBuilder";

        /// <summary>
        /// A wrapper's parameter whose argument can be reported: by reference or of a type that carries a buffer. A wrapper
        /// taking an array, string or StringBuilder is reported at its own native call, where the bug is.
        /// </summary>
        private static bool IsWrapperCandidate(WellKnownTypes types, IParameterSymbol parameter)
            => !IsWholeBufferType(parameter.Type) && !IsOverlapped(parameter.Type)
               && (parameter.RefKind != RefKind.None || IsBufferCarrier(types, parameter.Type));

        private static bool IsBufferCarrier(WellKnownTypes types, ITypeSymbol type)
            => IsWholeBufferType(type) || type is IPointerTypeSymbol
               || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr
               || (type is INamedTypeSymbol { Arity: 1, Name: "Span" or "ReadOnlySpan" } && types.IsSpan(type));

        /// <summary>What a call to one method can be for this rule: nothing, a native call, or a call to a wrapper of this compilation.</summary>
        private readonly struct CallShape
        {
            public static readonly CallShape None = default;
            public static readonly CallShape Wrapper = new CallShape(null, isWrapper: true);

            public CallShape(NativeFunction native)
                : this(native, isWrapper: false)
            {
            }

            private CallShape(NativeFunction? native, bool isWrapper)
            {
                Native = native;
                IsWrapper = isWrapper;
            }

            public NativeFunction? Native { get; }

            /// <summary>A call to a method of this compilation that may forward a buffer to a native function.</summary>
            public bool IsWrapper { get; }

            public bool IsNone => Native == null && !IsWrapper;
        }

        /// <summary>
        /// The answers the analysis asks at every invocation of the compilation: what a call to the method can be (most
        /// calls are to methods that take no buffer, or that are neither native nor a wrapper with a parameter to report),
        /// and which classes are formatted (read once per type).
        /// </summary>
        private sealed class CallGate
        {
            private readonly InteropContext _interop;
            private readonly ConcurrentDictionary<ITypeSymbol, bool> _formattedClasses = ConcurrentTables.Create<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
            private readonly System.Func<ITypeSymbol, bool> _readFormattedClass = RetainedManagedBufferAnalyzer.IsFormattedClass;

            public CallGate(InteropContext interop)
            {
                _interop = interop;
            }

            // Asked of every argument of every native call: most are not classes, which the type's kind says without the
            // table's symbol hashing.
            public bool IsFormattedClass(ITypeSymbol type)
                => type.TypeKind == TypeKind.Class
                   && (_formattedClasses.TryGetValue(type, out var formatted) ? formatted : _formattedClasses.GetOrAdd(type, _readFormattedClass));

            /// <remarks>
            /// Read at every call, not cached per method: most calls fail the parameter test, and on a binding that calls
            /// each of its thousands of methods about once, adding every method to a concurrent dictionary cost more than
            /// reading it again (own15's trace of OpenCvSharp: the adds, and their locks' contention, were 85% of this
            /// analyzer's samples). A native function's reading is the native table's cached answer; a wrapper's is a few
            /// symbol tests.
            /// </remarks>
            public CallShape ShapeOf(IMethodSymbol method)
            {
                // Read once: the public symbol's parameter list is a new array at every read.
                var parameters = method.Parameters;
                var native = new NativeAnswer(_interop.NativeFunctions, method);
                if (!ReadParameters(parameters, ref native))
                {
                    return CallShape.None;
                }

                if (native.Function is { } function)
                {
                    return new CallShape(function);
                }

                // The parameters first: their symbol tests rule out most calls, and a source method's declarations are a new array at every read.
                return HasWrapperCandidate(parameters) && WrapperSummaries.IsSourceMethodWithBody(method) ? CallShape.Wrapper : CallShape.None;
            }

            private bool HasWrapperCandidate(ImmutableArray<IParameterSymbol> parameters)
            {
                foreach (var parameter in parameters)
                {
                    if (IsWrapperCandidate(_interop.Types, parameter))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>Has the method a by-ref parameter, one of a buffer-carrying type, or (a native function only) a formatted class parameter?</summary>
            // Formatted-class parameters count only on native functions: a class argument of a managed call is common.
            // The symbol tests first, for every parameter: a binding's functions take their handle class first and a
            // pointer after it, and reading the class's declarations (a new array at every read) and the formatted-class
            // table for that handle at every call cost more than the rest of the gate (twenty-sixth session, own27).
            private bool ReadParameters(ImmutableArray<IParameterSymbol> parameters, ref NativeAnswer native)
            {
                foreach (var parameter in parameters)
                {
                    if (parameter.RefKind != RefKind.None || IsBufferCarrier(_interop.Types, parameter.Type))
                    {
                        return true;
                    }
                }

                foreach (var parameter in parameters)
                {
                    var type = parameter.Type;
                    if (type.TypeKind == TypeKind.Class && type.DeclaringSyntaxReferences.Length > 0 && native.Function != null && IsFormattedClass(type))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// The native table's answer for one call's method, asked at most once: the parameter test may need it for each
            /// class parameter, and the shape again after it; at every call of a binding, those lookups were a third of this
            /// analyzer's on-CPU samples on OpenCvSharp.
            /// </summary>
            private struct NativeAnswer
            {
                private readonly NativeFunctionTable _table;
                private readonly IMethodSymbol _method;
                private NativeFunction? _function;
                private bool _asked;

                public NativeAnswer(NativeFunctionTable table, IMethodSymbol method)
                {
                    _table = table;
                    _method = method;
                    _function = null;
                    _asked = false;
                }

                public NativeFunction? Function
                {
                    get
                    {
                        if (!_asked)
                        {
                            _function = _table.Get(_method);
                            _asked = true;
                        }

                        return _function;
                    }
                }
            }
        }
    }
}
