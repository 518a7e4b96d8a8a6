using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    internal enum LastErrorEventKind
    {
        /// <summary>The last error is read: Marshal.GetLastWin32Error and its siblings, new Win32Exception(), a helper that reads it first.</summary>
        Read,

        /// <summary>A P/Invoke is called, directly or through a wrapper whose body is that call.</summary>
        NativeCall,

        /// <summary>Something that can replace the last error: a call that may make native calls that set it, an await.</summary>
        Overwrite,
    }

    /// <summary>One operation that matters to the last error, with what the messages say about it.</summary>
    internal sealed class LastErrorEvent
    {
        public LastErrorEvent(LastErrorEventKind kind, IOperation operation, string display, NativeFunction? function = null, bool setsLastError = false, string? why = null, ISymbol? releasedHandle = null)
        {
            ReleasedHandle = releasedHandle;
            Kind = kind;
            Operation = operation;
            Display = display;
            Function = function;
            SetsLastError = setsLastError;
            Why = why;
        }

        public LastErrorEventKind Kind { get; }

        public IOperation Operation { get; }

        /// <summary>The read (<c>Marshal.GetLastWin32Error()</c>), the native function (<c>Native.open' through 'Files.Open</c>) or the overwriting call.</summary>
        public string Display { get; }

        /// <summary>For a native call: the P/Invoke finally called.</summary>
        public NativeFunction? Function { get; }

        /// <summary>For a native call: is the P/Invoke declared with SetLastError = true?</summary>
        public bool SetsLastError { get; }

        /// <summary>For an overwrite: why it can replace the last error (completes "which …").</summary>
        public string? Why { get; }

        /// <summary>
        /// For the release of a SafeHandle held in a local or parameter: that variable. Releasing a handle known to own
        /// nothing calls no release function (<c>LastErrorFlow</c> reads the tests that tell).
        /// </summary>
        public ISymbol? ReleasedHandle { get; }
    }

    /// <summary>
    /// What the last-error rules know about calls: which operations read the last error, which are native calls and
    /// whether they save it (SetLastError), and which can overwrite it. Methods of this compilation are summarized once,
    /// to a bounded depth: a helper that reads the last error before anything else (<c>CheckIo(rc)</c>,
    /// <c>ThrowLastError()</c>) is a read, and a method that may make a native call that sets the last error (or log,
    /// or do I/O) is an overwrite. Anything not known to overwrite is assumed not to (precision before recall).
    /// </summary>
    internal sealed class LastErrorCalls
    {
        /// <summary>Words a body must name to read the last error itself.</summary>
        internal static readonly string[] ReadWords = { "GetLastWin32Error", "GetLastPInvokeError", "GetLastSystemError", "GetHRForLastWin32Error", "Win32Exception" };

        private const int MaxDepth = WrapperSummaries.MaxDepth;

        private readonly InteropContext _interop;
        private readonly INamedTypeSymbol? _win32Exception;
        private readonly Lazy<bool> _mentionsRead;
        private readonly TreeReads _treeReads;
        private readonly ConcurrentDictionary<(IMethodSymbol, int), bool> _readsFirst = ConcurrentTables.Create<(IMethodSymbol, int), bool>(new MethodDepthComparer());
        private readonly ConcurrentDictionary<(IMethodSymbol, int), bool> _overwrites = ConcurrentTables.Create<(IMethodSymbol, int), bool>(new MethodDepthComparer());
        private readonly ConcurrentDictionary<(IMethodSymbol, int), NativeFunction?> _endingCalls = ConcurrentTables.Create<(IMethodSymbol, int), NativeFunction?>(new MethodDepthComparer());
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _setsLastError = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>The compilation's interop context.</summary>
        public InteropContext Interop => _interop;

        public LastErrorCalls(InteropContext interop)
        {
            _interop = interop;
            _win32Exception = interop.Compilation.GetTypeByMetadataName("System.ComponentModel.Win32Exception");
            // The vocabulary's scan, which every family's gate has already paid for, names the read words too: no text of
            // its own to scan (nor identifier filters to build) to learn that the compilation reads nothing.
            _mentionsRead = new Lazy<bool>(() => interop.Vocabulary.CompilationUses(InteropWords.LastErrorRead), LazyThreadSafetyMode.ExecutionAndPublication);
            _treeReads = TreeReadsOf(interop);
        }

        /// <summary>
        /// The helper names and each tree's read positions are read from the trees alone (their syntax and identifier
        /// records). Every analysis pass starts the analyzers on two compilation objects of the same trees, which share one
        /// vocabulary (<see cref="InteropVocabulary.For"/>); since the rule asks every tree at its start
        /// (<see cref="TreeMayRead"/>), the second start finds them read instead of reading them again.
        /// </summary>
        private static readonly ConditionalWeakTable<InteropVocabulary, TreeReads> TreeReadsByVocabulary = new ConditionalWeakTable<InteropVocabulary, TreeReads>();

        private static TreeReads TreeReadsOf(InteropContext interop)
        {
            if (TreeReadsByVocabulary.TryGetValue(interop.Vocabulary, out var kept))
            {
                return kept;
            }

            // Kept with the vocabulary: the trees, never the compilation.
            var vocabulary = interop.Vocabulary;
            var trees = CompilationWords.TreesOf(interop.Compilation);
            return TreeReadsByVocabulary.GetValue(vocabulary, _ => new TreeReads(vocabulary, trees));
        }

        private WordSet ReadOrHelperWords => _treeReads.ReadOrHelperWords.Value;

        /// <summary>Does any tree of the compilation name a read of the last error? Otherwise the rules register nothing.</summary>
        public bool CompilationReads => _mentionsRead.Value;

        /// <summary>
        /// The cheap gate: does this body name a read (a read word, or a method of this compilation whose body names
        /// one, to the summaries' depth)? A tree whose text names none (one look at its identifier record, cached) costs
        /// nothing more; in the others only the tokens at the places the record names a word are read
        /// (<see cref="ReadPositions"/>), not every token of the body. A body that does not pass costs no control-flow graph.
        /// </summary>
        public bool MayRead(SyntaxNode body)
        {
            var words = ReadOrHelperWords;
            var positions = _treeReads.PositionsOf(body.SyntaxTree, words);
            if (positions == null)
            {
                return MayReadByWalk(body, words);
            }

            // The record's positions are in text order: those inside the body, and the token each stands in.
            var span = body.FullSpan;
            for (var index = TreeTextPositions.FirstAtOrAfter(positions, span.Start); index < positions.Length && positions[index] < span.End; index++)
            {
                if (IsReadName(body.FindToken(positions[index]), words))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Can some body of this tree pass <see cref="MayRead"/>? False when the tree names no read word and no helper name
        /// (its positions are empty), which is where <see cref="MayRead"/> says no to every body without reading one; the
        /// same cached positions serve both.
        /// </summary>
        public bool TreeMayRead(SyntaxTree tree) => _treeReads.PositionsOf(tree, ReadOrHelperWords) is not { Length: 0 };

        /// <summary>
        /// <see cref="MayRead"/> by every token of the body: for a tree whose identifier record may miss a name the compiler
        /// reads (an escape, a non-ASCII character, a comment marker in a string), and the reference the positions must
        /// agree with (LastErrorReadPositionsTests).
        /// </summary>
        internal bool MayReadByWalk(SyntaxNode body) => MayReadByWalk(body, ReadOrHelperWords);

        private static bool MayReadByWalk(SyntaxNode body, WordSet words)
        {
            foreach (var token in body.DescendantTokens())
            {
                if (IsReadName(token, words))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsReadName(SyntaxToken token, WordSet words)
            => token.IsKind(SyntaxKind.IdentifierToken) && words.Contains(token.ValueText)
               && (ReadWordSet.Contains(token.ValueText) || IsCalledOrCreated(token));

        /// <summary>
        /// Where the tree names a read or helper word, in text order: empty when it names none; null when its record cannot
        /// be trusted to hold every identifier of the tree (then bodies are walked). Every identifier token the walk reads
        /// as a read has its name recorded at its start, or one past a verbatim <c>@</c>, inside the token: the token found
        /// there is that one.
        /// </summary>
        private static int[]? ReadPositions(InteropVocabulary vocabulary, SyntaxTree tree, WordSet words)
        {
            if (!vocabulary.TreeMayName(tree, words.Hashes))
            {
                return Array.Empty<int>();
            }

            var positions = vocabulary.PositionsOf(tree, words.Hashes, words.Words);
            if (positions.Count == 0)
            {
                return Array.Empty<int>();
            }

            return vocabulary.Identifiers(tree).MaySpellOtherwise || !SkippedComments.AreTheTreesComments(tree) ? null : positions.ToArray();
        }

        /// <summary>
        /// The gate after <see cref="MayRead"/>, on the operation tree the driver has already built: the flow reports a
        /// read only after a native call on some path, so a body (with its lambdas and local functions) that does not
        /// hold both a read and a native call costs no control-flow graph. A read is classified only where the called
        /// name is a read word or a helper name (<see cref="MayRead"/>'s words); a <c>using</c> or <c>foreach</c> counts
        /// as a native call, since its graph calls Dispose, GetEnumerator and MoveNext, which may be wrappers.
        /// </summary>
        public bool MayReadAfterNativeCall(IOperation root)
        {
            var words = ReadOrHelperWords;
            var read = false;
            var native = false;
            foreach (var operation in root.DescendantsAndSelf())
            {
                IMethodSymbol method;
                switch (operation)
                {
                    case IInvocationOperation invocation:
                        method = invocation.TargetMethod;
                        break;
                    case IObjectCreationOperation { Constructor: { } constructor }:
                        method = constructor;
                        break;
                    case IUsingOperation:
                    case IUsingDeclarationOperation:
                    case IForEachLoopOperation:
                        native = true;
                        if (read)
                        {
                            return true;
                        }

                        continue;
                    default:
                        continue;
                }

                if (!read && words.Contains(method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name)
                    && Classify(operation)?.Kind == LastErrorEventKind.Read)
                {
                    read = true;
                }
                else if (!native && NativeCall(method, 0) != null)
                {
                    native = true;
                }

                if (read && native)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Is this name the method of an invocation or the type of an object creation? A helper is a read only where it
        /// runs: a constructor's type named as a parameter, field or local type (<c>void Sync(DataStream stream)</c>) is not
        /// one, and counting it would send every body that mentions a widely used type through the flow analysis.
        /// </summary>
        private static bool IsCalledOrCreated(SyntaxToken token)
        {
            SyntaxNode? name = token.Parent;
            if (name is not SimpleNameSyntax)
            {
                return false;
            }

            // Climb qualified names (Outer.Inner, alias::Name) and member accesses (x.M, x?.M) to what is invoked or created.
            while (name.Parent is QualifiedNameSyntax qualified && qualified.Right == name
                   || name.Parent is AliasQualifiedNameSyntax alias && alias.Name == name
                   || name.Parent is MemberAccessExpressionSyntax access && access.Name == name
                   || name.Parent is MemberBindingExpressionSyntax binding && binding.Name == name)
            {
                name = name.Parent;
            }

            return name.Parent is InvocationExpressionSyntax invocation && invocation.Expression == name
                   || name.Parent is ObjectCreationExpressionSyntax creation && creation.Type == name;
        }

        /// <summary>What <paramref name="operation"/> does to the last error, when it is evaluated (its operands first); null for nothing.</summary>
        public LastErrorEvent? Classify(IOperation operation) => Classify(operation, 0);

        /// <summary>Is this P/Invoke declared with SetLastError = true (DllImport or LibraryImport)?</summary>
        public bool SetsLastError(NativeFunction function)
            => _setsLastError.GetOrAdd(function.Method, m =>
            {
                var dllImport = m.GetDllImportData();
                if (dllImport != null)
                {
                    return dllImport.SetLastError;
                }

                return m.GetAttributes().Any(a => (SymbolEqualityComparer.Default.Equals(a.AttributeClass, _interop.Types.LibraryImportAttribute) || NativeFunction.IsRunTimeImport(a))
                                                  && a.NamedArguments.Any(n => n.Key == "SetLastError" && n.Value.Value is true));
            });

        /// <summary>
        /// Does <paramref name="operation"/> run whenever the body runs to a return: every expression above it evaluates it
        /// (<see cref="OperationTree.EvaluatesEveryOperand"/>), and every statement above it runs it — a block, the body of a
        /// <c>using</c>, a <c>lock</c> or a <c>try</c> without a catch (a caught exception would return past it), or of a
        /// loop whose body runs at least once (<c>while (true)</c>, <c>do … while</c>)?
        /// </summary>
        private static bool RunsOnEveryPath(IOperation operation, IOperation body)
        {
            var child = operation;
            var current = operation.Parent;
            for (; current != null && current != body; child = current, current = current.Parent)
            {
                switch (current)
                {
                    case IBlockOperation:
                    case ITryOperation { Catches.IsEmpty: true } attempt when child == attempt.Body:
                    case IUsingOperation usingStatement when child == usingStatement.Body:
                    case ILockOperation lockStatement when child == lockStatement.Body:
                    case IWhileLoopOperation { ConditionIsTop: false } whileLoop when child == whileLoop.Body:
                    case IWhileLoopOperation { Condition.ConstantValue: { HasValue: true, Value: true } } endless when child == endless.Body:
                        continue;
                    default:
                        if (!OperationTree.EvaluatesEveryOperand(current))
                        {
                            return false;
                        }

                        continue;
                }
            }

            return current == body;
        }

        /// <summary>
        /// The operations of a body in evaluation order (operands before the operation), not entering lambdas or local
        /// functions, and without the calls the compiler leaves out (<see cref="OmittedCalls"/>).
        /// </summary>
        public static IEnumerable<IOperation> InEvaluationOrder(IOperation root)
        {
            var stack = new Stack<(IOperation Operation, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (operation, expanded) = stack.Pop();
                if (expanded)
                {
                    yield return operation;
                    continue;
                }

                // A [Conditional] call whose symbol is not defined is left out by the compiler, its arguments with it.
                if (operation is IInvocationOperation invocation && OmittedCalls.IsOmitted(invocation))
                {
                    continue;
                }

                stack.Push((operation, true));
                if (OperationTree.IsFunction(operation) || operation is IFlowAnonymousFunctionOperation)
                {
                    continue;
                }

                // Pushed last child first, so that they pop in order; the reversed view copies nothing.
                foreach (var child in operation.ChildOperations.Reverse())
                {
                    stack.Push((child, false));
                }
            }
        }

        private LastErrorEvent? Classify(IOperation operation, int depth)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    return ClassifyCall(invocation, invocation.TargetMethod, invocation.Instance, depth);
                case IObjectCreationOperation creation when creation.Constructor != null:
                    return ClassifyCall(creation, creation.Constructor, null, depth);
                case IPropertyReferenceOperation property when property.Property.GetMethod is { } getter && !IsAssignmentTarget(property):
                    return WrapperSummaries.IsSourceMethodWithBody(getter) && depth < MaxDepth && Overwrites(getter, depth + 1)
                        ? Overwrite(operation, Name(property.Property), "may make a native call that sets the last error")
                        : null;
                // A constant part (a 'const int' count) is no value formatted at run time any more than in a concatenation.
                case IInterpolatedStringOperation interpolated
                    when interpolated.Parts.OfType<IInterpolationOperation>().Any(p => FormatsValue(p.Expression) || p.FormatString != null || p.Alignment != null):
                    return Overwrite(operation, "the string interpolation", "formats values (culture data and ToString overrides may call native code)");
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation
                    when concatenation.Type?.SpecialType == SpecialType.System_String
                         && (FormatsValue(concatenation.LeftOperand) || FormatsValue(concatenation.RightOperand)):
                    return Overwrite(operation, "the string concatenation", "formats values (culture data and ToString overrides may call native code)");
                case IAwaitOperation:
                    return Overwrite(operation, "await", "may resume on another thread, whose last error is another one");
                default:
                    return null;
            }
        }

        private LastErrorEvent? ClassifyCall(IOperation operation, IMethodSymbol method, IOperation? instance, int depth)
        {
            if (method.MethodKind == MethodKind.Constructor && _win32Exception != null && SymbolEqualityComparer.Default.Equals(method.ContainingType, _win32Exception))
            {
                // Win32Exception(), (string) and (string, Exception) read Marshal.GetLastPInvokeError() themselves, also
                // as the base constructor of an exception of this compilation (: base(message)).
                var parameters = method.Parameters;
                return parameters.Length == 0 || parameters[0].Type.SpecialType != SpecialType.System_Int32
                    ? new LastErrorEvent(LastErrorEventKind.Read, operation, "new Win32Exception(" + (parameters.Length == 0 ? string.Empty : "...") + ")")
                    : null;
            }

            var marshal = _interop.Types.Marshal;
            if (marshal != null && SymbolEqualityComparer.Default.Equals(method.ContainingType, marshal))
            {
                switch (method.Name)
                {
                    case "GetLastWin32Error":
                    case "GetLastPInvokeError":
                    case "GetLastSystemError":
                    case "GetHRForLastWin32Error":
                        return new LastErrorEvent(LastErrorEventKind.Read, operation, "Marshal." + method.Name + "()");
                    case "SetLastPInvokeError":
                    case "SetLastSystemError":
                        return Overwrite(operation, "Marshal." + method.Name, "sets the last error itself");
                    default:
                        return null;
                }
            }

            if (LastErrorSavingDelegates.SavesLastError(method, _interop.Types))
            {
                return new LastErrorEvent(LastErrorEventKind.NativeCall, operation, method.ContainingType.Name, setsLastError: true);
            }

            if (NativeCall(method, depth) is { } native)
            {
                return new LastErrorEvent(LastErrorEventKind.NativeCall, operation, native.Display, native.Function, SetsLastError(native.Function));
            }

            if (IsSafeHandleRelease(method, instance))
            {
                return new LastErrorEvent(LastErrorEventKind.Overwrite, operation, Name(method), why: "releases a SafeHandle, whose release function is a native call that may set the last error",
                    releasedHandle: instance == null ? null : OperationTree.SkipConversions(instance) switch
                    {
                        ILocalReferenceOperation local => local.Local,
                        IParameterReferenceOperation parameter => parameter.Parameter,
                        _ => null,
                    });
            }

            if (WrapperSummaries.IsSourceMethodWithBody(method) && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _interop.Compilation.Assembly))
            {
                if (depth >= MaxDepth)
                {
                    return null;
                }

                if (ReadsFirst(method, depth + 1))
                {
                    var name = method.MethodKind == MethodKind.Constructor ? "new " + method.ContainingType.Name : method.Name;
                    return new LastErrorEvent(LastErrorEventKind.Read, operation, name + "(" + (method.Parameters.Length == 0 ? string.Empty : "...") + ")");
                }

                return Overwrites(method, depth + 1)
                    ? Overwrite(operation, Name(method), "may make a native call that sets the last error")
                    : null;
            }

            var why = KnownOverwrite(method, instance);
            return why == null || FormatsOnlyStrings(operation, method) ? null : Overwrite(operation, Name(method), why);
        }

        private (NativeFunction Function, string Display)? NativeCall(IMethodSymbol method, int depth)
        {
            var native = _interop.NativeFunctions.Get(method);
            if (native != null)
            {
                return (native, native.ToString());
            }

            var current = method;
            for (var level = depth; level < MaxDepth; level++)
            {
                var forwarded = _interop.Wrappers.GetForwardedCall(current);
                if (forwarded == null)
                {
                    break;
                }

                native = _interop.NativeFunctions.Get(forwarded.Target);
                if (native != null)
                {
                    return (native, native + "' through '" + Name(method));
                }

                current = forwarded.Target;
            }

            return depth < MaxDepth && EndingNativeCall(method, depth + 1) is { } ending ? (ending, ending + "' through '" + Name(method)) : null;
        }

        /// <summary>
        /// The native call a helper of this compilation hands its caller the error of: a P/Invoke declared with SetLastError
        /// that every return of the helper follows, with nothing after it that could replace the error (reads of it, and
        /// calls that leave it alone, may follow). Two shapes: one such call that runs on every path before any return —
        /// FlashCap's <c>ioctl&lt;T&gt;</c> pins its argument, calls <c>ioctl</c> again while it fails with EINTR, and
        /// unpins in a finally — or a dispatch whose every return is such a call and that makes no other (FlashCap's
        /// <c>mmap</c>, which picks one of four declarations of <c>mmap</c> by the platform's integer sizes). Its caller's
        /// <c>GetLastWin32Error()</c> reads that call's error, as through a wrapper whose body is the call. A return before
        /// the call, a call on some paths only, or a second native call makes the helper an overwrite, as before.
        /// </summary>
        private NativeFunction? EndingNativeCall(IMethodSymbol method, int depth)
            => _endingCalls.GetOrAdd((method.OriginalDefinition, depth), key =>
            {
                if (!WrapperSummaries.IsSourceMethodWithBody(key.Item1) || !SymbolEqualityComparer.Default.Equals(key.Item1.ContainingAssembly, _interop.Compilation.Assembly)
                    || Body(key.Item1) is not { } body)
                {
                    return null;
                }

                NativeFunction? found = null;
                var returnedBefore = false;
                var onEveryPath = true;
                var allReturned = true;
                var calls = new HashSet<IOperation>();
                foreach (var operation in InEvaluationOrder(body))
                {
                    if (operation is IReturnOperation ret)
                    {
                        returnedBefore |= found == null;
                        allReturned &= ret.ReturnedValue != null && calls.Contains(OperationTree.SkipConversions(ret.ReturnedValue));
                        continue;
                    }

                    if (Classify(operation, key.Item2) is not { } met || met.Kind == LastErrorEventKind.Read)
                    {
                        continue;
                    }

                    if (met.Kind != LastErrorEventKind.NativeCall || !met.SetsLastError || met.Function == null)
                    {
                        return null;
                    }

                    calls.Add(operation);
                    found ??= met.Function;
                    onEveryPath &= RunsOnEveryPath(operation, body);
                    allReturned &= OperationTree.WithEveryConversion(operation).Parent is IReturnOperation;
                }

                return found != null && ((calls.Count == 1 && !returnedBefore && onEveryPath) || (allReturned && !key.Item1.ReturnsVoid)) ? found : null;
            });

        /// <summary>
        /// A helper that reads the last error before doing anything that could change it. When it does not, its caller
        /// asks <see cref="Overwrites"/> of the same method at the same depth next (<see cref="ClassifyCall"/>): the walk
        /// goes on from where it stopped and answers that too, instead of a second walk classifying the same first
        /// operations again. Classify is a function of the operation and the depth, so the answers are those of two walks.
        /// </summary>
        private bool ReadsFirst(IMethodSymbol method, int depth)
            => _readsFirst.GetOrAdd((method.OriginalDefinition, depth), key =>
            {
                var body = Body(key.Item1);
                if (body == null)
                {
                    return false;
                }

                using var operations = InEvaluationOrder(body).GetEnumerator();
                while (operations.MoveNext())
                {
                    if (Classify(operations.Current, key.Item2) is { } found)
                    {
                        if (found.Kind == LastErrorEventKind.Read)
                        {
                            return true;
                        }

                        if (!_overwrites.ContainsKey(key))
                        {
                            var overwrites = IsOverwrite(found);
                            while (!overwrites && operations.MoveNext())
                            {
                                overwrites = Classify(operations.Current, key.Item2) is { } next && IsOverwrite(next);
                            }

                            _overwrites.TryAdd(key, overwrites);
                        }

                        return false;
                    }
                }

                // Nothing in the body matters to the last error: it overwrites nothing either.
                _overwrites.TryAdd(key, false);
                return false;
            });

        /// <summary>A method that may make a native call that sets the last error, or call something known to.</summary>
        private bool Overwrites(IMethodSymbol method, int depth)
            => _overwrites.GetOrAdd((method.OriginalDefinition, depth), key =>
            {
                var body = Body(key.Item1);
                return body != null && InEvaluationOrder(body).Any(o => Classify(o, key.Item2) is { } found && IsOverwrite(found));
            });

        private static bool IsOverwrite(LastErrorEvent found)
            => found.Kind == LastErrorEventKind.Overwrite || (found.Kind == LastErrorEventKind.NativeCall && found.SetsLastError);

        /// <summary>The operation of a source method's body (a local function's too), or null.</summary>
        internal IOperation? Body(IMethodSymbol method)
        {
            method = method.PartialImplementationPart ?? method;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(CancellationToken.None);
#pragma warning disable RS1030 // Summaries of other methods need their semantic models; computed once per method and cached.
                var model = _interop.Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
                switch (model.GetOperation(syntax))
                {
                    case ILocalFunctionOperation localFunction:
                        return localFunction.Body ?? (IOperation?)localFunction.IgnoredBody;
                    case { } operation:
                        return operation;
                }
            }

            return null;
        }

        /// <summary>
        /// Library APIs known to replace the last error (or to run code that does): console and logging output, I/O,
        /// formatting, disposing native resources. Everything else from a library is assumed to leave it alone.
        /// </summary>
        private string? KnownOverwrite(IMethodSymbol method, IOperation? instance)
        {
            var type = method.ContainingType;
            if (type == null)
            {
                return null;
            }

            var ns = type.ContainingNamespace;
            if (method.MethodKind == MethodKind.PropertyGet)
            {
                return null;
            }

            if (type.Name == "Console" && NamespaceNames.Is(ns, "System"))
            {
                return "writes to the console, a native write that sets the last error";
            }

            if ((type.Name is "Debug" or "Trace" or "TraceSource" or "EventLog" && NamespaceNames.Is(ns, "System.Diagnostics"))
                || NamespaceNames.IsWithin(ns, "Microsoft.Extensions.Logging") || NamespaceNames.IsWithin(ns, "Serilog") || NamespaceNames.IsWithin(ns, "NLog")
                || NamespaceNames.IsWithin(ns, "log4net"))
            {
                return "logs, and logging writes through native calls";
            }

            if ((NamespaceNames.IsWithin(ns, "System.IO") || NamespaceNames.IsWithin(ns, "System.Net"))
                && type.Name != "Path")
            {
                return "performs I/O through native calls that set the last error";
            }

            if (type.Name == "NativeLibrary" && NamespaceNames.Is(ns, "System.Runtime.InteropServices"))
            {
                return "calls into the native loader";
            }

            if (method.Name == "Dispose" || method.Name == "Close" || method.Name == "DisposeAsync")
            {
                var receiver = instance is IConversionOperation conversion ? conversion.Operand.Type : instance?.Type ?? type;
                var receiverNamespace = receiver?.ContainingNamespace;
                if (NamespaceNames.IsWithin(receiverNamespace, "System.IO") || NamespaceNames.IsWithin(receiverNamespace, "System.Net")
                    || NamespaceNames.IsWithin(receiverNamespace, "Microsoft.Win32") || NamespaceNames.Is(receiverNamespace, "System.Diagnostics"))
                {
                    return "releases a native resource through a native call that may set the last error";
                }
            }

            if (type.SpecialType == SpecialType.System_String && method.Name == "Format")
            {
                return "formats values (culture data and ToString overrides may call native code)";
            }

            if (method.Name == "ToString" && method.Parameters.Length <= 2 && !method.IsStatic
                && (instance?.Type?.SpecialType ?? SpecialType.None) != SpecialType.System_String)
            {
                return "formats a value (culture data and ToString overrides may call native code)";
            }

            if (type.Name == "StringBuilder" && method.Name == "AppendFormat" && NamespaceNames.Is(ns, "System.Text"))
            {
                return "formats values (culture data and ToString overrides may call native code)";
            }

            return null;
        }

        /// <summary>Dispose/Close of a SafeHandle (of the receiver, through a using's implicit IDisposable.Dispose too).</summary>
        private bool IsSafeHandleRelease(IMethodSymbol method, IOperation? instance)
        {
            if (!(method.Name == "Dispose" || method.Name == "Close") || method.Parameters.Length > 1)
            {
                return false;
            }

            var receiver = instance is IConversionOperation conversion ? conversion.Operand.Type : instance?.Type ?? method.ContainingType;
            return _interop.Types.IsHandleWrapper(receiver) || _interop.Types.IsHandleWrapper(method.ContainingType);
        }

        /// <summary>
        /// <c>string.Format</c> whose every formatted argument is a string, with no provider or a <c>CultureInfo</c>: copying
        /// strings reads no culture data and runs no <c>ToString</c> override, as for an interpolation of strings.
        /// </summary>
        private static bool FormatsOnlyStrings(IOperation operation, IMethodSymbol method)
        {
            if (method.Name != "Format" || method.ContainingType.SpecialType != SpecialType.System_String || operation is not IInvocationOperation call)
            {
                return false;
            }

            foreach (var argument in call.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter == null)
                {
                    return false;
                }

                if (parameter.Type.Name == "IFormatProvider")
                {
                    if (Unwrapped(argument.Value).Type is not { Name: "CultureInfo" } culture || !NamespaceNames.Is(culture.ContainingNamespace, "System.Globalization"))
                    {
                        return false;
                    }
                }
                else if (parameter.Name == "format")
                {
                    continue;
                }
                else if (argument.ArgumentKind == ArgumentKind.ParamArray)
                {
                    if (argument.Value is not IArrayCreationOperation { Initializer: { } elements } || elements.ElementValues.Any(FormatsValue))
                    {
                        return false;
                    }
                }
                else if (FormatsValue(argument.Value))
                {
                    return false;
                }
            }

            return true;
        }

        private static IOperation Unwrapped(IOperation operand) => operand is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : operand;

        private static bool FormatsValue(IOperation operand)
        {
            var value = operand is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : operand;
            return value.Type != null && value.Type.SpecialType != SpecialType.System_String && value.ConstantValue.HasValue == false;
        }

        private static bool IsAssignmentTarget(IOperation operation)
            => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;

        private static LastErrorEvent Overwrite(IOperation operation, string display, string why)
            => new LastErrorEvent(LastErrorEventKind.Overwrite, operation, display, why: why);

        private static string Name(ISymbol symbol)
        {
            var name = symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor ? "new " + constructor.ContainingType.Name : symbol.Name;
            return symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } || symbol.ContainingType == null ? name : symbol.ContainingType.Name + "." + name;
        }

        private static readonly WordSet ReadWordSet = new WordSet(ReadWords);

        /// <summary>
        /// Names of methods and constructors of this compilation whose bodies name a read word, or (to the summaries'
        /// depth) call or create such a method: the only calls that can be helper reads. Found by syntax alone, once:
        /// each level scans the text of the trees for the names found so far and looks only at the members around the
        /// places they occur, not at every token of every member.
        /// </summary>
        private static HashSet<string> FindHelperNames(InteropVocabulary vocabulary, SyntaxTree[] trees)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (!vocabulary.CompilationUses(InteropWords.LastErrorRead))
            {
                return names;
            }

            var wanted = new HashSet<string>(ReadWords, StringComparer.Ordinal);
            for (var level = 0; level < MaxDepth && wanted.Count > 0; level++)
            {
                var found = new HashSet<string>(StringComparer.Ordinal);
                var words = new WordSet(wanted);
                foreach (var tree in trees)
                {
                    // Most trees name none of the words: the vocabulary says so for the read words, its identifier hashes
                    // for the helper names, without their text.
                    if (level == 0 ? !vocabulary.TreeUses(tree, InteropWords.LastErrorRead) : !vocabulary.TreeMayName(tree, words.Hashes))
                    {
                        continue;
                    }

                    var positions = vocabulary.PositionsOf(tree, words.Hashes, words.Words);
                    if (positions.Count == 0)
                    {
                        continue;
                    }

                    var root = tree.GetRoot();
                    foreach (var position in positions)
                    {
                        var token = root.FindToken(position);
                        // A read word counts wherever it is named; a helper only where it runs, or as a base type.
                        if (!token.IsKind(SyntaxKind.IdentifierToken)
                            || (level > 0 && !IsCalledOrCreated(token) && token.Parent?.FirstAncestorOrSelf<BaseListSyntax>() == null))
                        {
                            continue;
                        }

                        if (HelperDeclaring(token) is { } name && !names.Contains(name))
                        {
                            found.Add(name);
                        }
                    }
                }

                names.UnionWith(found);
                wanted = found;
            }

            return names;
        }

        /// <summary>
        /// The name a call would use for what contains <paramref name="token"/>: the method, constructor or local function
        /// whose body it is in, or the type whose base list names it (an exception type built on Win32Exception reads in
        /// its base constructor call).
        /// </summary>
        private static string? HelperDeclaring(SyntaxToken token)
        {
            for (var node = token.Parent; node != null; node = node.Parent)
            {
                switch (node)
                {
                    case LocalFunctionStatementSyntax function:
                        return function.Identifier.ValueText;
                    case MethodDeclarationSyntax method:
                        return method.Identifier.ValueText;
                    case ConstructorDeclarationSyntax constructor:
                        return constructor.Identifier.ValueText;
                    case BaseMethodDeclarationSyntax:
                    case AnonymousFunctionExpressionSyntax:
                        return null;
                    case BaseListSyntax { Parent: TypeDeclarationSyntax type }:
                        return type.Identifier.ValueText;
                    case MemberDeclarationSyntax:
                        return null;
                }
            }

            return null;
        }

        /// <summary>The read and helper words of one set of trees and where each tree names them (<see cref="TreeReadsOf"/>).</summary>
        private sealed class TreeReads
        {
            private readonly InteropVocabulary _vocabulary;
            private readonly ConcurrentDictionary<SyntaxTree, int[]?> _positions = ConcurrentTables.Create<SyntaxTree, int[]?>();

            public TreeReads(InteropVocabulary vocabulary, SyntaxTree[] trees)
            {
                _vocabulary = vocabulary;
                ReadOrHelperWords = new Lazy<WordSet>(
                    () => new WordSet(ReadWords.Concat(FindHelperNames(vocabulary, trees))), LazyThreadSafetyMode.ExecutionAndPublication);
            }

            public Lazy<WordSet> ReadOrHelperWords { get; }

            /// <summary>The tree's <see cref="ReadPositions"/>, read once.</summary>
            public int[]? PositionsOf(SyntaxTree tree, WordSet words)
                => _positions.TryGetValue(tree, out var positions) ? positions : _positions.GetOrAdd(tree, ReadPositions(_vocabulary, tree, words));
        }

        /// <summary>A set of identifiers with their hashes, looked up in the per-tree identifier record (<see cref="InteropVocabulary.PositionsOf"/>).</summary>
        private sealed class WordSet
        {
            private readonly HashSet<string> _words;

            public WordSet(IEnumerable<string> words)
            {
                _words = new HashSet<string>(words, StringComparer.Ordinal);
                Hashes = _words.Select(IdentifierRuns.Hash).ToArray();
            }

            /// <summary>The words' hashes, for <see cref="InteropVocabulary.TreeMayName"/>.</summary>
            public int[] Hashes { get; }

            /// <summary>The words themselves, for <see cref="InteropVocabulary.PositionsOf"/>.</summary>
            public IReadOnlyCollection<string> Words => _words;

            public bool Contains(string word) => _words.Contains(word);
        }

        private sealed class MethodDepthComparer : IEqualityComparer<(IMethodSymbol, int)>
        {
            public bool Equals((IMethodSymbol, int) x, (IMethodSymbol, int) y) => SymbolEqualityComparer.Default.Equals(x.Item1, y.Item1) && x.Item2 == y.Item2;

            public int GetHashCode((IMethodSymbol, int) obj) => SymbolEqualityComparer.Default.GetHashCode(obj.Item1) ^ obj.Item2;
        }
    }
}
